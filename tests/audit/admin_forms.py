"""The data an admin change page would post back unchanged (main form and inline formsets), to edit in tests."""


def _put(data: dict, name: str, value) -> None:
    if value is None or value is False:
        return
    if value is True:
        data[name] = "on"
    elif isinstance(value, list | tuple):
        data[name] = [str(v) for v in value]
    else:
        data[name] = str(value)


def _form(data: dict, form) -> None:
    for name, field in form.fields.items():
        if not field.disabled:
            _put(data, form.add_prefix(name), form[name].value())


def page_data(client, url: str) -> dict:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    data: dict = {}
    _form(data, response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        _form(data, formset.management_form)
        for form in formset.forms:
            _form(data, form)
    return data
