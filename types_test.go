package pave_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pave-go/pave"
)

func TestTimeDecoding(t *testing.T) {
	t.Parallel()
	want := time.Date(2025, 6, 2, 15, 11, 20, 0, time.UTC)
	tests := []struct {
		name    string
		json    string
		want    time.Time
		wantErr bool
	}{
		{"micro fraction Z", `"2025-06-02T15:11:20.000000Z"`, want, false},
		{"fraction kept", `"2025-06-02T15:11:20.250000Z"`, want.Add(250 * time.Millisecond), false},
		{"no fraction Z", `"2025-06-02T15:11:20Z"`, want, false},
		{"offset +00:00", `"2025-06-02T15:11:20+00:00"`, want, false},
		{"other offset", `"2025-06-02T17:11:20+02:00"`, want, false},
		{"compact offset", `"2025-06-02T17:11:20.5+0200"`, want.Add(500 * time.Millisecond), false},
		{"no zone", `"2025-06-02T15:11:20"`, want, false},
		{"space separated", `"2025-06-02 15:11:20"`, want, false},
		{"space separated with zone", `"2025-06-02 15:11:20Z"`, want, false},
		{"date only", `"2025-06-02"`, time.Date(2025, 6, 2, 0, 0, 0, 0, time.UTC), false},
		{"padded", `" 2025-06-02T15:11:20Z "`, want, false},
		{"unix seconds", `1748877080`, want, false},
		{"null", `null`, time.Time{}, false},
		{"empty", `""`, time.Time{}, false},
		{"blank", `"  "`, time.Time{}, false},
		{"garbage", `"yesterday"`, time.Time{}, true},
		{"bool", `true`, time.Time{}, true},
		{"float", `1.5`, time.Time{}, true},
		{"object", `{}`, time.Time{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := pave.Time{Time: time.Now()} // must be overwritten
			err := json.Unmarshal([]byte(tt.json), &got)
			if tt.wantErr {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.True(t, tt.want.Equal(got.Time), "got %v want %v", got.Time, tt.want)
			assert.Equal(t, tt.want.IsZero(), got.IsZero())
		})
	}
	t.Run("invalid string escape", func(t *testing.T) {
		t.Parallel()
		var tm pave.Time
		require.Error(t, tm.UnmarshalJSON([]byte(`"\x"`)))
		require.NoError(t, tm.UnmarshalJSON(nil))
	})
}

func TestTimeEncoding(t *testing.T) {
	t.Parallel()
	b, err := json.Marshal(pave.Time{})
	require.NoError(t, err)
	assert.Equal(t, "null", string(b))
	b, err = json.Marshal(pave.Time{Time: time.Date(2025, 6, 2, 15, 11, 20, 5e8, time.UTC)})
	require.NoError(t, err)
	assert.Equal(t, `"2025-06-02T15:11:20.5Z"`, string(b))
	var back pave.Time
	require.NoError(t, json.Unmarshal(b, &back))
	assert.True(t, back.Equal(time.Date(2025, 6, 2, 15, 11, 20, 5e8, time.UTC)))

	// omitzero drops unset timestamps from a Session.
	out, err := json.Marshal(pave.Session{SessionKey: "K"})
	require.NoError(t, err)
	assert.JSONEq(t, `{"session_key":"K","active":false}`, string(out))
}

func TestIntDecoding(t *testing.T) {
	t.Parallel()
	tests := []struct {
		json    string
		want    pave.Int
		wantErr bool
	}{
		{`2020`, 2020, false},
		{`"2020"`, 2020, false},
		{`"100,945"`, 100945, false},
		{`"41,250"`, 41250, false},
		{`"1 000 000"`, 1000000, false},
		{`"1_000"`, 1000, false},
		{`41250.0`, 41250, false},
		{`"41250.0"`, 41250, false},
		{`1e3`, 1000, false},
		{`-5`, -5, false},
		{`null`, 0, false},
		{`""`, 0, false},
		{`" "`, 0, false},
		{`1.5`, 0, true},
		{`"abc"`, 0, true},
		{`true`, 0, true},
		{`"NaN"`, 0, true},
		{`1e300`, 0, true},
		{`{}`, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.json, func(t *testing.T) {
			t.Parallel()
			got := pave.Int(7) // must be overwritten
			err := json.Unmarshal([]byte(tt.json), &got)
			if tt.wantErr {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
	t.Run("encodes as a number", func(t *testing.T) {
		t.Parallel()
		b, err := json.Marshal(pave.Vehicle{Year: 2018, OdomReading: 41250})
		require.NoError(t, err)
		assert.JSONEq(t, `{"year":2018,"odom_reading":41250}`, string(b))
	})
	t.Run("raw calls", func(t *testing.T) {
		t.Parallel()
		var n pave.Int
		require.Error(t, n.UnmarshalJSON([]byte(`"\q"`)))
		require.NoError(t, n.UnmarshalJSON([]byte(" ")))
		require.NoError(t, n.UnmarshalJSON([]byte(`" 12,000 "`)))
		assert.Equal(t, pave.Int(12000), n)
	})
}

func TestStringBool(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in   pave.StringBool
		want string
	}{{true, `"true"`}, {false, `"false"`}} {
		b, err := json.Marshal(tt.in)
		require.NoError(t, err)
		assert.Equal(t, tt.want, string(b))
	}
	tests := []struct {
		json    string
		want    pave.StringBool
		wantErr bool
	}{
		{`true`, true, false},
		{`false`, false, false},
		{`"true"`, true, false},
		{`"TRUE"`, true, false},
		{`"false"`, false, false},
		{`"1"`, true, false},
		{`1`, true, false},
		{`0`, false, false},
		{`"yes"`, true, false},
		{`"no"`, false, false},
		{`""`, false, false},
		{`null`, false, false},
		{`"maybe"`, false, true},
		{`2`, false, true},
	}
	var raw pave.StringBool
	require.Error(t, raw.UnmarshalJSON([]byte(`"\z"`)))
	// Response values may be personal data or echoed credentials: decode
	// errors describe them without quoting them.
	err := raw.UnmarshalJSON([]byte(`"` + strings.Repeat("x", 100) + `"`))
	require.ErrorContains(t, err, "a string of 100 bytes")
	assert.NotContains(t, err.Error(), "xxxx")
	for _, tt := range tests {
		t.Run(tt.json, func(t *testing.T) {
			t.Parallel()
			got := !tt.want // must be overwritten
			err := json.Unmarshal([]byte(tt.json), &got)
			if tt.wantErr {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

// Unset, true and false are all expressible, in the wire form PAVE's
// sample shows (the strings "true" and "false"), and decode from either a
// string or a boolean.
func TestSendResultsToPhototakerIsSentAsAString(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		flag *pave.StringBool
		want string
	}{
		{nil, `{"to":"604-555-0142"}`},
		{pave.Bool(true), `{"to":"604-555-0142","send_results_to_phototaker":"true"}`},
		{pave.Bool(false), `{"to":"604-555-0142","send_results_to_phototaker":"false"}`},
	} {
		b, err := json.Marshal(pave.SMS{To: "604-555-0142", SendResultsToPhototaker: tt.flag})
		require.NoError(t, err)
		assert.JSONEq(t, tt.want, string(b))
	}
	for in, want := range map[string]*bool{`{}`: nil, `{"send_results_to_phototaker": null}`: nil,
		`{"send_results_to_phototaker": "false"}`: new(bool), `{"send_results_to_phototaker": true}`: ptrTo(true)} {
		var sms pave.SMS
		require.NoError(t, json.Unmarshal([]byte(in), &sms), in)
		if want == nil {
			assert.Nil(t, sms.SendResultsToPhototaker, in)
			continue
		}
		require.NotNil(t, sms.SendResultsToPhototaker, in)
		assert.Equal(t, *want, bool(*sms.SendResultsToPhototaker), in)
	}
}

func ptrTo[T any](v T) *T { return &v }

// The documentation's sample create request decodes into
// CreateSessionRequest and encodes back to the same document. The one
// normalisation: the sample sends "year" as the string "2020", the SDK sends
// the number the attribute table documents.
func TestDocsCreateRequestRoundTrips(t *testing.T) {
	t.Parallel()
	doc := fixture(t, "create_request_docs.json")
	var req pave.CreateSessionRequest
	require.NoError(t, json.Unmarshal(doc, &req))

	require.NotNil(t, req.Session)
	assert.Equal(t, pave.ThemeLite, req.Session.Theme)
	assert.Equal(t, "LEAD-88127", req.Session.ClientID)
	assert.Equal(t, &pave.Contact{FirstName: "Maria", LastName: "Lopez"}, req.Session.Contact)
	assert.Equal(t, map[string]any{"crm_lead": "Q-4471", "campaign": "spring"}, req.Session.Reference)
	require.NotNil(t, req.Vehicle)
	assert.Equal(t, pave.Int(2020), req.Vehicle.Year)
	assert.Equal(t, pave.Int(41250), req.Vehicle.OdomReading)
	assert.Equal(t, pave.Kilometres, req.Vehicle.OdomUnit)
	require.NotNil(t, req.SMS)
	assert.Equal(t, "Lakeside Honda", req.SMS.By)
	require.NoError(t, req.Validate())

	var want map[string]any
	require.NoError(t, json.Unmarshal(doc, &want))
	want["vehicle"].(map[string]any)["year"] = 2020
	out, err := json.Marshal(&req)
	require.NoError(t, err)
	assert.JSONEq(t, mustJSON(t, want), string(out))
}

func TestClientIDContactAndReferenceInBothPlacements(t *testing.T) {
	t.Parallel()
	contact := &pave.Contact{FirstName: "Priya", LastName: "Natarajan"}
	ref := map[string]any{"stock_no": "NS-5521"}
	req := pave.CreateSessionRequest{
		Session: &pave.SessionSettings{ClientID: "CRM-20931", Contact: contact, Reference: ref},
		Options: &pave.SessionOptions{ClientID: "CRM-20931", Contact: contact, Reference: ref},
	}
	require.NoError(t, req.Validate())
	b, err := json.Marshal(req)
	require.NoError(t, err)
	part := `{"client_id":"CRM-20931","contact":{"first_name":"Priya","last_name":"Natarajan"},"reference":{"stock_no":"NS-5521"}}`
	assert.JSONEq(t, `{"session":`+part+`,"options":`+part+`}`, string(b))

	tests := []struct {
		name string
		json string
	}{
		{"options", `{"session_key":"K","options":` + part + `}`},
		{"top level", `{"session_key":"K",` + part[1:]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var s pave.Session
			require.NoError(t, json.Unmarshal([]byte(tt.json), &s))
			assert.Equal(t, "CRM-20931", s.ClientID)
			assert.Equal(t, contact, s.Contact)
			assert.Equal(t, ref, s.Reference)
		})
	}
	t.Run("neither", func(t *testing.T) {
		t.Parallel()
		s := pave.Session{Options: &pave.SessionOptions{}}
		assert.Empty(t, s.ClientID)
		assert.Nil(t, s.Contact)
		assert.Nil(t, s.Reference)
	})
}

func TestEnums(t *testing.T) {
	t.Parallel()
	for _, th := range []pave.Theme{pave.ThemeLite, pave.ThemePro, pave.ThemeCapt} {
		assert.True(t, th.Known(), th)
	}
	assert.True(t, pave.Theme("pro").Known(), "sent as PRO")
	assert.False(t, pave.Theme("").Known())
	assert.False(t, pave.Theme("PROFESSIONAL").Known())

	final := map[pave.SessionStatus]bool{
		pave.StatusIdle: false, pave.StatusStarted: false, pave.StatusProcess: false, pave.StatusQCPassed: false,
		pave.StatusConfirm: false, pave.StatusComplete: true, pave.StatusExpired: true, pave.StatusInvalid: true,
		"PROCESSING": false, "complete": true, "Expired": true, "invalid": true,
		pave.StatusPending: false, pave.StatusPeding: false, pave.StatusInProgress: false, pave.StatusSubmitted: false,
	}
	for s, want := range final {
		assert.Equal(t, want, s.Final(), s)
	}
	assert.True(t, pave.Kilometres.Known())
	assert.True(t, pave.Miles.Known())
	assert.True(t, pave.OdometerUnit("miles").Known(), "sent as MILES")
	assert.False(t, pave.OdometerUnit("KM").Known())

	// Unknown values pass through decoding.
	var s pave.Session
	require.NoError(t, json.Unmarshal([]byte(`{"status":"PROCESSING","theme":"ULTRA","language":"fr","vehicle":{"odom_unit":"KM"}}`), &s))
	assert.Equal(t, pave.SessionStatus("PROCESSING"), s.Status)
	assert.Equal(t, pave.Theme("ULTRA"), s.Theme)
	assert.Equal(t, pave.Language("fr"), s.Language)
	assert.Equal(t, pave.OdometerUnit("KM"), s.Vehicle.OdomUnit)
}

func TestPhotoCodesAndLabels(t *testing.T) {
	t.Parallel()
	labels := []pave.PhotoLabel{"VIN", "Interior", "Cluster", "Left", "Front", "Tires", "Right", "Rear",
		"Windshield", "Front_Left", "Front_Right", "Rear_Right", "Rear_Left"}
	for i := range 13 {
		code := pave.PhotoCode(i + 1)
		assert.Equal(t, labels[i], code.Label())
		assert.Equal(t, code, labels[i].Code())
		assert.True(t, labels[i].Known())
	}
	assert.Equal(t, pave.PhotoFrontLeft, pave.PhotoLabel("front_left").Code())
	assert.True(t, pave.PhotoLabel("front_left").Known(), "Known agrees with Code")
	assert.Zero(t, pave.PhotoLabel("Roof").Code())
	assert.False(t, pave.PhotoLabel("Roof").Known())
	assert.Empty(t, pave.PhotoCode(0).Label())
	assert.Empty(t, pave.PhotoCode(14).Label())
	assert.Empty(t, pave.PhotoCode(-1).Label())
}

func TestPhotoVerdict(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		photo    pave.Photo
		rejected bool
		reason   string
	}{
		{"accepted", pave.Photo{Approved: true, ApprovedMessage: "ACCEPTED"}, false, ""},
		{"rejected", pave.Photo{Approved: false, ApprovedMessage: "REJECTED: Wrong View"}, true, "Wrong View"},
		{"rejected lower case", pave.Photo{Approved: true, ApprovedMessage: "rejected:  Blurry "}, true, "Blurry"},
		{"not approved without message", pave.Photo{}, true, ""},
		{"colon in accepted message", pave.Photo{Approved: true, ApprovedMessage: "NOTE: ok"}, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.rejected, tt.photo.Rejected())
			assert.Equal(t, tt.reason, tt.photo.RejectionReason())
		})
	}
}

func TestNoteDecoding(t *testing.T) {
	t.Parallel()
	var n pave.Note
	require.NoError(t, json.Unmarshal([]byte(`{"id":"17","title":"T","description":"D","created_at":"2025-06-02T15:20:00Z","extra":[1]}`), &n))
	assert.Equal(t, pave.Int(17), n.ID)
	assert.Equal(t, "T", n.Title)
	assert.Equal(t, "D", n.Description)
	assert.Equal(t, 2025, n.CreatedAt.Year())
	assert.JSONEq(t, `{"id":"17","title":"T","description":"D","created_at":"2025-06-02T15:20:00Z","extra":[1]}`, string(n.Raw()))

	var s pave.Note
	require.NoError(t, json.Unmarshal([]byte(` "just text" `), &s))
	assert.Equal(t, "just text", s.Description)
	assert.Equal(t, `"just text"`, string(s.Raw()))

	// The shape is undocumented: nothing well-formed fails; what does not
	// fit is kept raw.
	require.NoError(t, json.Unmarshal([]byte(`42`), &n))
	assert.Equal(t, pave.Note{}, pave.Note{ID: n.ID, Title: n.Title, Description: n.Description, CreatedAt: n.CreatedAt})
	assert.Equal(t, `42`, string(n.Raw()))
	require.NoError(t, json.Unmarshal([]byte(`{"id":"x","title":7}`), &n))
	assert.Equal(t, pave.Int(0), n.ID)
	assert.Equal(t, "7", n.Title)
	assert.JSONEq(t, `{"id":"x","title":7}`, string(n.Raw()))
	assert.Error(t, n.UnmarshalJSON([]byte(`"\y"`)), "invalid JSON still fails")
}

func TestVehicleLenientFields(t *testing.T) {
	t.Parallel()
	var v pave.Vehicle
	require.NoError(t, json.Unmarshal([]byte(`{"vehicle_id":"73304","year":"2018","odom_reading":"100,945","vrm":null,"make":null}`), &v))
	assert.Equal(t, pave.Int(73304), v.VehicleID)
	assert.Equal(t, pave.Int(2018), v.Year)
	assert.Equal(t, pave.Int(100945), v.OdomReading)
	assert.Empty(t, v.VRM)
	assert.Empty(t, v.Make)
}

func TestDecodeErrorsDescribeWithoutQuoting(t *testing.T) {
	t.Parallel()
	tests := []struct {
		json string
		want string
	}{
		{`{"v":"private"}`, "an object"},
		{`["private"]`, "a list"},
		{`true`, "a boolean"},
		{`"private"`, "a string"},
	}
	for _, tt := range tests {
		t.Run(tt.json, func(t *testing.T) {
			t.Parallel()
			var n pave.Int
			err := n.UnmarshalJSON([]byte(tt.json))
			require.ErrorContains(t, err, tt.want)
			assert.NotContains(t, err.Error(), "private")
		})
	}
	var tm pave.Time
	err := tm.UnmarshalJSON([]byte(`"private-date"`))
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "private")
}

func TestCaptureOrder(t *testing.T) {
	t.Parallel()
	order := pave.CaptureOrder()
	require.Len(t, order, 13)
	assert.ElementsMatch(t, pave.CaptureOrder(), order, "every view exactly once")
	assert.Equal(t, pave.PhotoVIN, order[0])
	assert.Equal(t, pave.PhotoFrontLeft, order[4], "Front_Left is captured fifth")
	assert.Equal(t, pave.PhotoTires, order[12])
}
