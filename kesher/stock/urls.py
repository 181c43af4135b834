from django.urls import path

from kesher.stock import api, views

urlpatterns = [
    path("stock/", views.levels, name="stock_levels"),
    path("stock/move/", views.move_new, name="stock_move"),
    path("stock/minimum/", views.minimum, name="stock_minimum"),
    path("stock/serials/", views.serials, name="stock_serials"),
    path("stock/serials/<int:pk>/", views.serial_detail, name="stock_serial"),
    path("stock/tickets/<int:pk>/parts/", views.ticket_parts, name="stock_ticket_parts"),
    path("stock/documents/<int:pk>/", views.document_warehouse, name="stock_document"),
    path("stock/products/<int:pk>/", views.product_stock, name="stock_product"),
    path("api/v1/stock-levels/", api.LevelListView.as_view(), name="api_stock_levels"),
    path("api/v1/stock-levels/minimum/", api.MinimumView.as_view(), name="api_stock_minimum"),
    path("api/v1/stock-moves/", api.MoveListView.as_view(), name="api_stock_moves"),
    path("api/v1/serials/", api.SerialListView.as_view(), name="api_serials"),
    path("api/v1/serials/<int:pk>/", api.SerialDetailView.as_view(), name="api_serial"),
    path(
        "api/v1/products/<int:pk>/stock/", api.ProductStockView.as_view(), name="api_product_stock"
    ),
]
