from django.urls import path

from . import floor_views

urlpatterns = [
    path("floor/django/<int:client_id>/", floor_views.bare_django_view, name="bench-floor-django"),
    path("floor/drf/<int:client_id>/", floor_views.BareDrfView.as_view(), name="bench-floor-drf"),
]
