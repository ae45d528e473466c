from django.urls import re_path

from workshop.history.api import HistoryFeedView

api_urlpatterns = [re_path(r"^history/?$", HistoryFeedView.as_view(), name="history-feed")]
