package endpoint

import "net/http"

// The operations, in the order of PAVE's documentation. Each path is
// written here and nowhere else.
var (
	CreateSession = &Endpoint{
		Op: "Sessions.Create", Method: http.MethodPost, Pattern: "/v1/sessions",
		Summary: "Create an inspection session (and, with sms.to, text the customer the capture link).",
		Notes: "PAVE's Create Session page shows 201 and its Deep Linking page 200 for the same body: " +
			"any 2xx is success. Hotspots sessions are created here too.",
		Auth: Signed, Request: "CreateSessionRequest", Response: "Session",
		Status: http.StatusCreated, OtherStatuses: []int{http.StatusOK}, Fixture: "session_created.json", Acts: true,
		Errors: []Answer{{http.StatusBadRequest, "error_validation.json", "a field is missing or invalid"}},
	}
	GetSession = &Endpoint{
		Op: "Sessions.Get", Method: http.MethodGet, Pattern: "/v1/sessions/{session_key}",
		Summary: "A session's current state; its vehicle may be sparse until the VIN is captured.",
		Auth:    Signed, Response: "Session", Status: http.StatusOK, Fixture: "session.json",
		Errors: []Answer{{http.StatusNotFound, "error_not_found.json", "no such session for this API key"}},
	}
	Photos = &Endpoint{
		Op: "Sessions.Photos", Method: http.MethodGet, Pattern: "/v1/sessions/{session_key}/photos",
		Summary: "The photos captured so far with their quality-check verdicts; callable during capture.",
		Auth:    Signed, Response: "[]Photo", Status: http.StatusOK, Fixture: "photos.json",
		Errors: []Answer{{http.StatusNotFound, "error_not_found.json", "no such session for this API key"}},
	}
	Notes = &Endpoint{
		Op: "Sessions.Notes", Method: http.MethodGet, Pattern: "/v1/sessions/{session_key}/notes",
		Summary: "The notes attached to a session.",
		Notes: "PAVE lists the page but not its answer: the SDK accepts a list or an object wrapping one " +
			"under data or notes; the fake answers a list of {id, title, description, created_at}.",
		Auth: Signed, Response: "[]Note", Body: "NoteList", Status: http.StatusOK, Fixture: "notes.json",
		Errors: []Answer{{http.StatusNotFound, "error_not_found.json", "no such session for this API key"}},
	}
	Results = &Endpoint{
		Op: "Sessions.Results", Method: http.MethodGet, Pattern: "/v1/sessions/{session_key}/results",
		Summary: "The inspection results of a COMPLETE session (the body of the SESSION:COMPLETE webhook).",
		Notes: "PAVE prints {\"message\": \"Session is not yet completed.\"} under its 200 sample and does not " +
			"say which status a session that is not complete gets: the SDK reads that message as not ready " +
			"whatever the status.",
		Auth: Signed, Response: "Results", Status: http.StatusOK, Fixture: "results.json",
		Errors: []Answer{
			{http.StatusOK, "error_not_ready.json", "the session is not COMPLETE yet (status undocumented)"},
			{http.StatusNotFound, "error_not_found.json", "no such session for this API key"},
		},
	}
	UpdateSession = &Endpoint{
		Op: "Sessions.Update", Method: http.MethodPut, Pattern: "/v1/sessions/{session_key}",
		Summary: "Change a session's settings; send only what changes.",
		Notes: "PAVE documents the success only as \"updated successfully\": the SDK takes a session from the " +
			"answer when there is one, else reads it back. Theme only while IDLE; redirect_url and language " +
			"before COMPLETE; sms.to before start after a failed SMS (and it texts the new number).",
		Auth: Signed, Request: "UpdateSessionRequest", Response: "Session", Body: "SessionUpdated",
		Status: http.StatusOK, Fixture: "session.json",
		Errors: []Answer{
			{http.StatusBadRequest, "error_validation.json", "a field is invalid or may not change in this status"},
			{http.StatusNotFound, "error_not_found.json", "no such session for this API key"},
		},
	}
	DeleteSession = &Endpoint{
		Op: "Sessions.Delete", Method: http.MethodDelete, Pattern: "/v1/sessions/{session_key}",
		Summary: "Delete a session the customer has not started (status IDLE).",
		Auth:    Signed, Response: "Message", Status: http.StatusOK, Fixture: "session_deleted.json",
		GoneIsDone: true,
		Errors: []Answer{
			{http.StatusBadRequest, "error_session_started.json", "the session has started"},
			{http.StatusNotFound, "error_not_found.json", "no such session for this API key"},
		},
	}
	ListCallbacks = &Endpoint{
		Op: "Webhooks.List", Method: http.MethodGet, Pattern: "/v1/callbacks",
		Summary: "The webhook (callback) settings of the API key.",
		Auth:    Signed, Response: "[]Callback", Body: "CallbackList", Status: http.StatusOK, Fixture: "callbacks_list.json",
	}
	GetCallback = &Endpoint{
		Op: "Webhooks.Get", Method: http.MethodGet, Pattern: "/v1/callbacks/{event}",
		Summary: "The setting of one event, wrapped under data.",
		Auth:    Signed, Response: "Callback", Body: "CallbackAnswer", Status: http.StatusOK, Fixture: "callback.json",
		Errors: []Answer{{http.StatusNotFound, "error_callback_not_found.json", "the event has no setting"}},
	}
	CreateCallback = &Endpoint{
		Op: "Webhooks.Create", Method: http.MethodPost, Pattern: "/v1/callbacks",
		Summary: "Register where PAVE sends one event; the answer is the setting, flat, beside api_key.",
		Notes:   "PAVE does not document the answer to an event that already has a setting; the fake answers 400.",
		Auth:    Signed, Request: "callbackCreate", Response: "Callback", Body: "CallbackAnswer",
		Status: http.StatusOK, Fixture: "callback_created.json", Acts: true,
		Errors: []Answer{
			{http.StatusBadRequest, "error_missing_fields.json", "event or url is missing"},
			{http.StatusBadRequest, "error_callback_exists.json", "the event already has a setting (undocumented)"},
		},
	}
	UpdateCallback = &Endpoint{
		Op: "Webhooks.Update", Method: http.MethodPut, Pattern: "/v1/callbacks/{event}",
		Summary: "Replace the setting of one event.",
		Auth:    Signed, Request: "callbackUpdate", Response: "Callback", Body: "CallbackAnswer",
		Status: http.StatusOK, Fixture: "callback_created.json",
		Errors: []Answer{
			{http.StatusBadRequest, "error_missing_fields.json", "url is missing"},
			{http.StatusNotFound, "error_callback_not_found.json", "the event has no setting"},
		},
	}
	DeleteCallback = &Endpoint{
		Op: "Webhooks.Delete", Method: http.MethodDelete, Pattern: "/v1/callbacks/{event}",
		Summary: "Remove the setting of one event.",
		Auth:    Signed, Response: "Message", Status: http.StatusOK, Fixture: "callback_deleted.json",
		GoneIsDone: true,
		Errors:     []Answer{{http.StatusNotFound, "error_callback_not_found.json", "the event has no setting"}},
	}
	UploadHotspotPhotos = &Endpoint{
		Op: "Hotspots.UploadPhotos", Method: http.MethodPost, Pattern: "/v1/hotspots/{session_key}/photos-url",
		Summary: "Submit the URLs of photos you already have, one per standard view.",
		Notes: "Only the beginning of the per-photo message is documented; failure shapes are not. " +
			"Whether fewer than 13 views are accepted is not documented.",
		Auth: KeyOnly, Request: "hotspotUploadRequest", Response: "[]HotspotUpload", Body: "HotspotUploads",
		Status: http.StatusOK, Fixture: "hotspots_upload.json", Acts: true,
		Errors: []Answer{
			{http.StatusBadRequest, "error_missing_fields.json", "photos is missing or empty"},
			{http.StatusNotFound, "error_not_found.json", "no such session for this API key"},
		},
	}
	HotspotResults = &Endpoint{
		Op: "Hotspots.Results", Method: http.MethodGet, Pattern: "/v1/hotspots/{session_key}",
		Summary: "The damages found on each photo, with their position in the image (x, y in percent).",
		Notes: "PAVE's example spells the position coodrs; its answer before the analysis ends is " +
			"undocumented (the fake answers 200 success false \"Session is not yet completed.\").",
		Auth: KeyOnly, Response: "HotspotResults", Status: http.StatusOK, Fixture: "hotspots_results.json",
		Errors: []Answer{
			{http.StatusOK, "hotspots_not_ready.json", "the photos are not analysed yet (undocumented)"},
			{http.StatusNotFound, "error_not_found.json", "no such session for this API key"},
		},
	}
	ResendSMS = &Endpoint{
		Op: "Sessions.ResendSMS", Method: http.MethodPost, Pattern: "/v2/capture/sessions/{session_key}/resend",
		Summary: "Text the capture link once more: once per session, within 7 days, before quality control passes.",
		Notes: "The page does not say how API-Access-Token is derived (\"your API key\"). The refusals for an " +
			"old session and a second resend are undocumented.",
		Auth: AccessToken, Request: "ResendSMSRequest", Response: "ResendResult",
		Status: http.StatusOK, Fixture: "resend.json", Acts: true,
		Errors: []Answer{
			{http.StatusBadRequest, "error_resend_finalized.json", "the session has passed quality control"},
			{http.StatusNotFound, "error_resend_not_found.json", "no such session for this API key"},
		},
	}
)

var table = []*Endpoint{
	CreateSession, GetSession, Photos, Notes, Results, UpdateSession, DeleteSession,
	ListCallbacks, GetCallback, CreateCallback, UpdateCallback, DeleteCallback,
	UploadHotspotPhotos, HotspotResults, ResendSMS,
}
