from django.conf import settings


def oncodcc(request):
    return {"DCC_REGION_NAME": settings.DCC_REGION_NAME, "DCC_DEMO_MODE": settings.DEMO_MODE}
