def test_smoke(logged_in_client, board_data):
    r = logged_in_client.get("/board/?group=stage&swimlane=manufacturer")
    assert r.status_code == 200, r.content[:3000]
    open("/tmp/board.html", "wb").write(r.content)
    r = logged_in_client.get("/board/?group=manufacturer&swimlane=manufacturer")
    assert r.status_code == 200
    open("/tmp/mboard.html", "wb").write(r.content)
    r = logged_in_client.get("/orders/23670/")
    assert r.status_code == 200
    open("/tmp/order.html", "wb").write(r.content)
    r = logged_in_client.get(f"/line-items/{board_data.items['stuck'].uphance_id}/")
    assert r.status_code == 200
    open("/tmp/li.html", "wb").write(r.content)
