"""The RCP directory screens: the list of boards and a board's page (no patient data)."""

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from ..forms.organisation import MeetingCreateForm
from ..models import Board
from ..selectors import meetings as selectors


@require_GET
def board_list(request):
    mine, region = selectors.board_lists(user=request.user)
    return render(request, "rcp/board_list.html", {"my_boards": mine, "all_boards": region})


def board_page_context(request, board_id: int, meeting_form: MeetingCreateForm | None = None) -> dict:
    try:
        page = selectors.get_board_page(user=request.user, board_id=board_id)
    except Board.DoesNotExist as exc:
        raise Http404 from exc
    if meeting_form is None and page.is_staff:
        meeting_form = MeetingCreateForm(initial={"time": page.board.start_time})
    return {"page": page, "board": page.board, "meeting_form": meeting_form}


@require_GET
def board_detail(request, pk: int):
    return render(request, "rcp/board_detail.html", board_page_context(request, pk))
