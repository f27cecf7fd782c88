"""The pave-go fake PAVE server driven from Python: the API signed as PAVE
documents, and the fake's control API (/_fake/...)."""

import time

from pavefake import Fake

SESSION = {"session": {"redirect_url": "https://dealer.example.com/done"},
           "vehicle": {"vin": "1HGCV1F39LA012345"}, "sms": {"to": "416-555-0199"}}


def create(fake, body=SESSION):
    ans = fake.api("POST", "/v1/sessions", body)
    assert ans.status == 201, ans
    return ans.json["session_key"]


def test_health_needs_nothing(fake):
    ans = fake.control("GET", "/_fake/health")
    assert ans.status == 200 and ans.json == {"status": "ok"}


def test_openapi_describes_the_control_api(fake):
    doc = fake.control("GET", "/_fake/openapi.json").json
    assert doc["openapi"].startswith("3.1")
    assert "post" in doc["paths"]["/_fake/sessions/{session_key}/complete"]
    assert doc["paths"]["/_fake/reset"]["post"]["tags"] == ["fake-control"]


def test_create_session(fake):
    ans = fake.api("POST", "/v1/sessions", SESSION)
    assert ans.status == 201
    assert ans.json["status"] == "IDLE"
    assert ans.json["capture_url"].endswith("/" + ans.json["session_key"])
    assert ans.json["options"]["sms"]["to"] == "416-555-0199"


def test_get_session_and_its_404(fake):
    key = create(fake)
    assert fake.api("GET", "/v1/sessions/" + key).json["session_key"] == key
    ans = fake.api("GET", "/v1/sessions/NOP-0000000000")
    assert ans.status == 404
    assert ans.json == {"message": "Session NOP-0000000000 cannot be found."}


def test_unsigned_request_401_says_why(fake):
    ans = fake.send("GET", "/v1/callbacks")
    assert ans.status == 401
    assert ans.json == {"message": "Unauthorized."}
    assert ans.headers["Pave-Fake-Reason"] == "API-Key header missing"
    assert fake.control("GET", "/_fake/requests").json[-1]["reason"] == "API-Key header missing"


def test_javascript_timestamp_refused_with_reason(fake):
    ts = fake.timestamp().replace("Z", ".123Z")  # new Date().toJSON()
    ans = fake.api("GET", "/v1/callbacks", timestamp=ts)
    assert ans.status == 401 and ans.json == {"message": "Invalid API-Token."}
    assert "milliseconds" in ans.headers["Pave-Fake-Reason"]
    assert "--lenient" in ans.headers["Pave-Fake-Reason"]


def test_lenient_accepts_the_sample_forms():
    lenient = Fake("--lenient")
    try:
        lenient.control("GET", "/_fake/health")
        base = lenient.timestamp()
        for ts in (base.replace("Z", ".123Z"), base.replace("Z", "+00:00")):
            assert lenient.api("GET", "/v1/callbacks", timestamp=ts).status == 200, ts
    finally:
        lenient.close()


def test_wrong_type_is_named_by_path(fake):
    ans = fake.api("POST", "/v1/sessions", {"vehicle": {"year": "twenty"}})
    assert ans.status == 400
    assert ans.json["message"] == "Required fields are missing or invalid."
    assert "vehicle.year" in ans.json["errors"]


def test_callback_settings(fake, receiver):
    setting = {"event": "SESSION:COMPLETE", "url": receiver.url + "/complete", "headers": {"Authorization": "Bearer x"}}
    assert fake.api("POST", "/v1/callbacks", setting).status == 200
    listed = fake.api("GET", "/v1/callbacks").json["data"]
    assert [c["event"] for c in listed] == ["SESSION:COMPLETE"]
    assert fake.api("DELETE", "/v1/callbacks/SESSION:COMPLETE").status == 200
    assert fake.api("GET", "/v1/callbacks/SESSION:COMPLETE").status == 404


def test_complete_delivers_the_webhook(fake, receiver):
    for event in ("SESSION:COMPLETE", "SESSION:STATUS_CHANGE"):
        fake.api("POST", "/v1/callbacks", {"event": event, "url": receiver.url + "/" + event.split(":")[1].lower()})
    key = create(fake)
    ans = fake.control("POST", f"/_fake/sessions/{key}/complete")
    assert ans.status == 200 and ans.json["status"] == "COMPLETE"
    assert fake.control("POST", "/_fake/deliveries/flush").status == 200
    complete = receiver.events("/complete")
    assert len(complete) == 1 and complete[0]["session"]["session_key"] == key
    assert [e["status"] for e in receiver.events("/status_change")][-1] == "COMPLETE"
    states = {d["state"] for d in fake.control("GET", "/_fake/deliveries").json}
    assert states == {"delivered"}


def test_results_after_complete(fake):
    key = create(fake)
    assert fake.api("GET", f"/v1/sessions/{key}/results").json == {"message": "Session is not yet completed."}
    fake.control("POST", f"/_fake/sessions/{key}/complete")
    res = fake.api("GET", f"/v1/sessions/{key}/results").json
    assert res["event"] == "SESSION:COMPLETE"
    assert res["vehicle"]["vin"] == "1HGCV1F39LA012345"
    assert res["session"]["options"]["sms"]["to"] == "416-555-0199"


def test_capture_and_photos(fake):
    key = create(fake)
    fake.control("POST", f"/_fake/sessions/{key}/capture", {"photo_code": 4, "accepted": False})
    photos = fake.api("GET", f"/v1/sessions/{key}/photos").json
    assert [(p["photo_label"], p["approved"]) for p in photos] == [("Left", False)]


def test_fault_answers_then_clears(fake):
    fault = fake.control("POST", "/_fake/faults", {"path": "/v1/callbacks", "status": 503, "times": 1,
                                                   "retry_after_seconds": 2})
    assert fault.status == 200
    ans = fake.api("GET", "/v1/callbacks")
    assert ans.status == 503 and ans.headers["Retry-After"] == "2"
    assert fake.api("GET", "/v1/callbacks").status == 200
    assert fake.control("GET", "/_fake/faults").json == []


def test_faults_listed_and_removed(fake):
    fid = fake.control("POST", "/_fake/faults", {"path_prefix": "/v1/sessions", "status": 500}).json["id"]
    assert [f["id"] for f in fake.control("GET", "/_fake/faults").json] == [fid]
    assert fake.api("GET", "/v1/sessions/ABC-0000000000").status == 500
    assert fake.control("DELETE", f"/_fake/faults/{fid}").status == 200
    assert fake.api("GET", "/v1/sessions/ABC-0000000000").status == 404


def test_control_requests_are_validated(fake):
    key = create(fake)
    ans = fake.control("POST", f"/_fake/sessions/{key}/notes", {})
    assert ans.status == 400 and ans.json["errors"] == {"title": ["title is required"]}
    ans = fake.control("POST", "/_fake/faults", {"statsu": 503})
    assert ans.status == 400 and "statsu" in ans.json["errors"]


def test_clock_advance_and_signing_with_the_last_date(fake):
    ans = fake.control("POST", "/_fake/clock", {"advance_seconds": 8 * 24 * 3600})
    assert ans.status == 200
    assert fake.api("GET", "/v1/callbacks").status == 200  # signed with the Date of the last answer
    local = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    stale = fake.api("GET", "/v1/callbacks", timestamp=local)
    assert stale.status == 401 and stale.json == {"message": "API-Token has expired."}
    assert "away from the fake's clock" in stale.headers["Pave-Fake-Reason"]


def test_hotspots(fake):
    key = create(fake, {})
    photos = [{"photo_label": "Left", "url": "https://cdn.example.com/left.jpg"},
              {"photo_label": "Front", "url": "https://cdn.example.com/front.jpg"}]
    up = fake.api("POST", f"/v1/hotspots/{key}/photos-url", {"photos": photos})
    assert up.status == 200 and all(p["success"] for p in up.json["data"])
    assert fake.api("GET", f"/v1/hotspots/{key}").json["success"] is False
    assert fake.control("POST", f"/_fake/hotspots/{key}/process").status == 200
    res = fake.api("GET", f"/v1/hotspots/{key}").json
    assert res["success"] is True and res["message"].endswith("found on the vehicle.")


def resend(fake, key, body=None):
    headers = {"API-Access-Token": fake.api_key}
    return fake.send("POST", f"/v2/capture/sessions/{key}/resend", body or {}, headers)


def test_resend_needs_the_sms_delivered(fake):
    key = create(fake)
    refused = resend(fake, key)
    assert refused.status == 400 and refused.json["status"] == "error"
    fake.control("POST", f"/_fake/sessions/{key}/sms", {"success": True})
    ans = resend(fake, key)
    assert ans.status == 200
    assert ans.json["message"] == "SMS resend has been processed"
    assert resend(fake, key).json["message"] == "SMS has already been resent for this session"


def test_reset_repeats_the_session_keys(fake):
    first = [create(fake) for _ in range(3)]
    fake.control("POST", "/_fake/reset")
    assert [create(fake) for _ in range(3)] == first


def test_repeat_inspection_for_a_comparison(fake):
    first = create(fake)
    fake.control("POST", f"/_fake/sessions/{first}/complete")
    before = fake.api("GET", f"/v1/sessions/{first}/results").json["inspection"]["damages"]
    second = create(fake, {})
    body = {"previous_session_key": first, "new_damages": [{"component": "DOOR_FRONT_LEFT", "damage_name": "DENTED_MAJOR"}],
            "repaired_components": [d["component"] for d in before[:1]]}
    assert fake.control("POST", f"/_fake/sessions/{second}/repeat", body).status == 200
    after = fake.api("GET", f"/v1/sessions/{second}/results").json
    assert after["vehicle"]["vin"] == "1HGCV1F39LA012345"
    assert ("DOOR_FRONT_LEFT", "DENTED_MAJOR") in {(d["component"], d["damage_name"]) for d in after["inspection"]["damages"]}
