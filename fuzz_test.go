package pave_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pave-go/pave"
)

// Fuzz targets for the decoders users feed with PAVE's answers. Webhook
// parsing (FuzzParseWebhook), Hotspots results (FuzzHotspotResults) and
// the results helpers (FuzzResultsSummary) have their own targets; the
// APIError decoder's is in fuzz_internal_test.go.

// fzAddFiles adds the files of testdata/dir as seeds.
func fzAddFiles(f *testing.F, dir string) {
	f.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", dir, "*.json"))
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

// FuzzResultsDecode decodes arbitrary documents into pave.Results: no
// panic; a document that decodes keeps its raw bytes (a copy), encodes back
// to them, decodes the same when embedded in another document or into a
// Results already holding another document, and its helpers do not panic.
func FuzzResultsDecode(f *testing.F) {
	fzAddFiles(f, "results")
	f.Add([]byte(`{}`))
	f.Add([]byte(` {"event": "SESSION:COMPLETE", "session": {"session_key": "NSA-7K2D5MZ8WP", "status": "COMPLETE"}} `))
	f.Add([]byte(`{"session": {"created_at": "2024-03-15 09:30:00.000000Z", "options": {"client_id": 7}}, "vehicle": {"year": "2019", "odom_reading": "100,945"}}`))
	f.Add([]byte(`{"vehicle": {"year": 1e400}}`))
	f.Add([]byte(`{"photos": [{"photo_code": "04", "photo_label": "Front", "approved_message": "REJECTED: Wrong View"}, null, 7]}`))
	f.Add([]byte(`{"inspection": {"damages": [{"component": "FRONT BUMPER", "grade_score": "3", "photo": {"code": "99999999999999999999"}}], "grade": 2.5}}`))
	f.Add([]byte(`{"inspection": "not an object", "location": [1, 2], "grade": {"grade": {"grade": 4}}}`))
	f.Add([]byte(`{"session": null, "vehicle": null, "photos": null, "inspection": null}`))
	f.Add([]byte(`{"session": {"session_key": ["array"]}}`))
	f.Add([]byte(`{"a": "\ud800", "session": {"status": "\u0000"}}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`"COMPLETE"`))
	f.Add([]byte(strings.Repeat(`{"inspection":`, 200) + `{}` + strings.Repeat(`}`, 200)))

	// A different document to decode over.
	prior := []byte(`{"event": "SESSION:COMPLETE", "session": {"session_key": "OLD-0000000000", "status": "COMPLETE",
		"options": {"client_id": "old"}}, "vehicle": {"vin": "1HGCM82633A004352", "year": 2003},
		"photos": [{"photo_code": 1}], "location": {"latitude": 1}, "inspection": {"grade": 5,
		"damages": [{"component": "HOOD", "damage_group": "PAINT"}]}, "grade": 4}`)

	f.Fuzz(func(t *testing.T, b []byte) {
		input := append([]byte(nil), b...)
		var r pave.Results
		err := json.Unmarshal(input, &r)
		if err != nil {
			return
		}
		want := bytes.TrimSpace(b)
		if !bytes.Equal(r.Raw(), want) {
			t.Fatalf("Raw() = %q, want %q", r.Raw(), want)
		}
		for i := range input {
			input[i] = 'x'
		}
		if !bytes.Equal(r.Raw(), want) {
			t.Fatal("Raw() shares the caller's buffer")
		}

		// The helpers never panic.
		sum := r.Summary()
		grade, ok := r.Grade()
		_ = r.DamageCount()
		for _, d := range r.Damages() {
			_, _ = r.PhotoFor(d)
			_ = d.MoreSevere(d)
		}
		_ = r.DamagesByComponent()
		_ = r.DamagesByGroup()
		_ = r.WorstDamagePerComponent()
		_ = r.Session.ClientID
		_ = r.Session.Contact
		_ = r.Session.Reference
		for _, p := range r.Photos {
			_ = p.Rejected()
			_ = p.RejectionReason()
		}

		// It encodes back to the document, which decodes the same.
		enc, err := json.Marshal(r)
		if err != nil {
			t.Fatalf("Marshal: %v", err)
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, want); err != nil {
			t.Fatalf("a decoded document does not compact: %v", err)
		}
		// encoding/json compacts and HTML-escapes a MarshalJSON result.
		var escaped bytes.Buffer
		json.HTMLEscape(&escaped, compact.Bytes())
		if !bytes.Equal(enc, escaped.Bytes()) {
			t.Fatalf("Marshal = %q, want the compacted document %q", enc, escaped.Bytes())
		}
		var again pave.Results
		if err := json.Unmarshal(enc, &again); err != nil {
			t.Fatalf("the encoded document does not decode: %v", err)
		}
		if g, ok2 := again.Grade(); g != grade || ok2 != ok {
			t.Fatalf("grade %d/%v after a round trip, was %d/%v", g, ok2, grade, ok)
		}
		if !reflect.DeepEqual(again.Summary(), sum) {
			t.Fatal("summary changed after a round trip")
		}

		// Embedded in an envelope (as in a webhook body or a wrapper).
		var env struct {
			Results pave.Results `json:"results"`
		}
		doc := append(append([]byte(`{"results": `), b...), '}')
		if err := json.Unmarshal(doc, &env); err != nil {
			t.Fatalf("embedded document fails: %v", err)
		}
		if !bytes.Equal(env.Results.Raw(), want) {
			t.Fatalf("embedded Raw() = %q, want %q", env.Results.Raw(), want)
		}
		if !reflect.DeepEqual(env.Results, r) {
			t.Fatal("embedded document decodes differently")
		}

		// Decoding over another document leaves nothing of it behind.
		var reused pave.Results
		if err := json.Unmarshal(prior, &reused); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &reused); err != nil {
			t.Fatalf("second decode fails: %v", err)
		}
		if !reflect.DeepEqual(reused, r) {
			t.Fatalf("decoding over another document keeps some of it:\n%+v\nwant\n%+v", reused, r)
		}
	})
}

// FuzzTime feeds pave.Time: no panic, json.Unmarshal and
// UnmarshalJSON agree, and a decoded time in years 0-9999 survives a
// round trip through MarshalJSON (and through ParseTime of its RFC 3339
// form).
func FuzzTime(f *testing.F) {
	for _, s := range []string{
		`"2024-03-15T09:30:00Z"`, `"2024-03-15T09:30:00.000000Z"`, `"2024-03-15T09:30:00+00:00"`,
		`"2024-03-15T09:30:00.123456789-04:00"`, `"2024-03-15 09:30:00"`, `"2024-03-15 09:30:00.5+05:30"`,
		`"2024-03-15T09:30:00"`, `"2024-03-15T09:30:00+0530"`, `"2024-03-15"`, `null`, `""`, `"  "`,
		`1710495000`, `-62135596800`, `253402300800`, `9223372036854775807`, `1.5`, `true`, `{}`, `[]`,
		`"2024-02-30T00:00:00Z"`, `"2024-03-15T24:00:00Z"`, `"2024-03-15T09:30:00+24:00"`, `"0000-01-01T00:00:00Z"`,
		`"9999-12-31T23:59:59.999999999Z"`, `"\u0032024-03-15T09:30:00Z"`, `"2024-03-15T09:30:00Z`, ` "2024-03-15" `,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var direct pave.Time
		derr := direct.UnmarshalJSON(b)
		if json.Valid(b) {
			var viaJSON pave.Time
			jerr := json.Unmarshal(b, &viaJSON)
			if (jerr == nil) != (derr == nil) || !viaJSON.Equal(direct.Time) {
				t.Fatalf("json.Unmarshal (%v, %v) and UnmarshalJSON (%v, %v) disagree", viaJSON, jerr, direct, derr)
			}
		}
		if derr == nil {
			fzTimeRoundTrip(t, direct.Time)
		}
	})
}

func fzTimeRoundTrip(t *testing.T, tm time.Time) {
	t.Helper()
	enc, err := pave.Time{Time: tm}.MarshalJSON()
	if err != nil {
		t.Fatalf("MarshalJSON(%v): %v", tm, err)
	}
	if tm.Year() < 0 || tm.Year() > 9999 {
		return // RFC 3339 has no form for these years
	}
	if !json.Valid(enc) {
		t.Fatalf("MarshalJSON(%v) = %q is not JSON", tm, enc)
	}
	var back pave.Time
	if err := json.Unmarshal(enc, &back); err != nil || !back.Equal(tm) {
		t.Fatalf("%v encodes as %s, which decodes to %v, %v", tm, enc, back, err)
	}
}

// FuzzInt feeds pave.Int: no panic; a JSON integer decodes to itself, as
// a string too, with or without thousands separators; and a decoded value
// round-trips through json.Marshal.
func FuzzInt(f *testing.F) {
	for _, s := range []string{
		`41250`, `"41250"`, `"100,945"`, `"1 000 000"`, `"1_000"`, `41250.0`, `"41250.0"`, `-7`, `"-7"`, `0`,
		`null`, `""`, `" "`, `9223372036854775807`, `-9223372036854775808`, `9223372036854775808`, `1e18`, `1e19`,
		`4.5`, `"4.5"`, `"NaN"`, `"Inf"`, `"0x10"`, `true`, `[]`, `{}`, `"١٢٣"`, `"1,2,3"`, `"+5"`, `"--5"`, `1E+2`,
	} {
		f.Add([]byte(s), int64(41250))
	}
	f.Add([]byte(`"2019"`), int64(-9223372036854775808))
	f.Add([]byte(`2019`), int64(9223372036854775807))
	f.Fuzz(func(t *testing.T, b []byte, v int64) {
		var n pave.Int
		err := n.UnmarshalJSON(b)
		if json.Valid(b) {
			var viaJSON pave.Int
			jerr := json.Unmarshal(b, &viaJSON)
			if (jerr == nil) != (err == nil) || (err == nil && viaJSON != n) {
				t.Fatalf("json.Unmarshal (%d, %v) and UnmarshalJSON (%d, %v) disagree on %q", viaJSON, jerr, n, err, b)
			}
		}
		if err == nil {
			enc, merr := json.Marshal(n)
			var back pave.Int
			if merr != nil || back.UnmarshalJSON(enc) != nil || back != n {
				t.Fatalf("%d encodes as %s, which decodes to %d", n, enc, back)
			}
		}
		if exact, perr := strconv.ParseInt(string(bytes.Trim(b, " \t\r\n")), 10, 64); perr == nil && (err != nil || int64(n) != exact) {
			t.Fatalf("the integer %q decodes to %d, %v", b, n, err)
		}
		// Every int64 decodes from its own forms.
		plain := strconv.FormatInt(v, 10)
		for _, form := range []string{plain, strconv.Quote(plain), strconv.Quote(fzThousands(v))} {
			var got pave.Int
			if err := got.UnmarshalJSON([]byte(form)); err != nil || int64(got) != v {
				t.Fatalf("%s decodes to %d, %v; want %d", form, got, err, v)
			}
		}
	})
}

// fzThousands formats v with comma thousands separators ("-1,234,567").
func fzThousands(v int64) string {
	s := strconv.FormatInt(v, 10)
	sign := ""
	if s[0] == '-' {
		sign, s = "-", s[1:]
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return sign + b.String()
}

// FuzzStringBool feeds pave.StringBool: no panic, json.Unmarshal and
// UnmarshalJSON agree, and a decoded value round-trips.
func FuzzStringBool(f *testing.F) {
	for _, s := range []string{
		`true`, `false`, `"true"`, `"false"`, `"TRUE"`, `"1"`, `"0"`, `1`, `0`, `"yes"`, `"no"`, `"on"`, `"off"`,
		`"y"`, `"n"`, `null`, `""`, `" true "`, `"maybe"`, `2`, `-1`, `1.0`, `[]`, `{}`, `"\u0074rue"`, `"true`, `tru`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var sb pave.StringBool
		err := sb.UnmarshalJSON(b)
		if json.Valid(b) {
			var viaJSON pave.StringBool
			jerr := json.Unmarshal(b, &viaJSON)
			if (jerr == nil) != (err == nil) || (err == nil && viaJSON != sb) {
				t.Fatalf("json.Unmarshal (%v, %v) and UnmarshalJSON (%v, %v) disagree on %q", viaJSON, jerr, sb, err, b)
			}
		}
		if err != nil {
			return
		}
		enc, err := json.Marshal(sb)
		if err != nil {
			t.Fatal(err)
		}
		var back pave.StringBool
		if err := json.Unmarshal(enc, &back); err != nil || back != sb {
			t.Fatalf("%v encodes as %s, which decodes to %v, %v", sb, enc, back, err)
		}
	})
}
