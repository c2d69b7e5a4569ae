"""URLs of the board area: the boards, their partials and export, saved views, timelines, stage settings."""
from django.urls import path

from board.views import board, home, orders

urlpatterns = [
    path("", home.home, name="home"),
    path("board/", board.board, name="board"),
    path("board/column/", board.board_column, name="board_column"),
    path("board/live/", board.board_live, name="board_live"),
    path("board/export.csv", board.board_export, name="board_export"),
    path("board/views/", board.saved_view_create, name="saved_view_create"),
    path("board/views/<int:pk>/default/", board.saved_view_default, name="saved_view_default"),
    path("board/views/<int:pk>/delete/", board.saved_view_delete, name="saved_view_delete"),
    path("orders/<int:uphance_id>/", orders.order_detail_view, name="order_detail"),
    path("line-items/<int:uphance_id>/", orders.line_item_timeline_view, name="line_item_timeline"),
    path("settings/stages/", board.stage_settings, name="stage_settings"),
]
