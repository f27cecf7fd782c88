package openapi

// The document's prose that no Go source carries.

import "fmt"

const title = "PAVE vehicle-inspection API"

const description = `The HTTP API of PAVE's vehicle inspections: sessions, webhook (callback) settings and deliveries,
Hotspots, and the v2 SMS resend. PAVE publishes no OpenAPI document of its own: this one is derived from PAVE's
public documentation by the pave-go project, and generated from its Go SDK's endpoint table and types, so the
SDK, its fake server and this document describe one API.

Where PAVE's documentation leaves a shape open, this document says so in a description and accepts every
documented reading (oneOf or anyOf). Answers are read leniently, as PAVE sends them: a field with known values
accepts any string too (anyOf the enum and a string), since PAVE adds values; numbers may come as strings
("100,945"); an optional value may be null; objects may carry properties not listed here. Requests name the
documented values in their documented form, and another value only where PAVE gives its values as examples
(language, odom_unit).`

// openInRequests are the vocabularies whose documented values PAVE gives
// only as examples ("such as"): a request may name another value.
var openInRequests = map[string]bool{"pave.Language": true, "pave.OdometerUnit": true}

// securitySchemes are the headers PAVE authenticates with.
var securitySchemes = object(
	"ApiKey", object("type", "apiKey", "in", "header", "name", "API-Key",
		"description", "The API key from PAVE's dashboard (Developer, API Keys)."),
	"ApiTimestamp", object("type", "apiKey", "in", "header", "name", "API-Timestamp",
		"description", "The current UTC time with whole seconds and a literal Z (2024-03-15T09:30:00Z): the "+
			"string signed into API-Token, byte for byte. A token is valid for five minutes."),
	"ApiToken", object("type", "apiKey", "in", "header", "name", "API-Token", "description",
		"The request's signature: the lowercase hex of HMAC-SHA256 keyed with the API secret over "+
			`username + ":" + API key + "@" + timestamp, where username is the primary account name PAVE `+
			"gave the account and timestamp the API-Timestamp header. Method, path and body are not signed, "+
			"and the token is valid for five minutes. For example username acmemotors, API key "+
			"9f2c4e1a-7b3d-4c5e-8f6a-1b2c3d4e5f60, secret s3cr3t-EXAMPLE-only and timestamp 2024-03-15T09:30:00Z "+
			"give fa09a39c3af6f65e0f00076cf74ce7323627a3178f96c97cf0f52a160b1a69c2."),
	"ApiAccessToken", object("type", "apiKey", "in", "header", "name", "API-Access-Token",
		"description", `The v2 pages' header, described by PAVE only as "your API key"; how it is derived `+
			"is not documented. The SDK sends the API key in it, and the v1 signature as well."),
)

// security is the requirement and the note for each authentication
// scheme of the endpoint table.
var security = map[string]struct {
	schemes []string
	note    string
}{
	"signed": {[]string{"ApiKey", "ApiTimestamp", "ApiToken"}, ""},
	"api_key": {[]string{"ApiKey"}, "PAVE's page lists API-Key alone; the v1 signature may be sent as well " +
		"(the SDK sends it)."},
	"access_token": {[]string{"ApiAccessToken"}, "PAVE's page lists API-Access-Token alone; the SDK sends " +
		"the v1 signature as well."},
}

// parameters describes the path parameters by name.
var parameters = map[string]struct{ description, example, schema string }{
	"session_key": {"The key PAVE issued for the session. PAVE's examples show three or four upper-case " +
		"letters, a dash and ten upper-case letters or digits; the format is not documented.",
		"NSA-7K2D5MZ8WP", "string"},
	"event": {"A webhook event name; the colon is sent as it is.", "SESSION:COMPLETE", "pave.EventName"},
}

const undocumented = "An answer PAVE does not document for this operation, such as a 401 for a refused " +
	"signature, a 429 or a 5xx. PAVE's v1 errors carry a message; a proxy's answer may not be JSON."

const acknowledged = "Any 2xx acknowledges the delivery. PAVE documents neither the status it expects nor " +
	"whether it retries."

const deliveryNote = "PAVE sends it to the url of the event's callback setting, with the setting's method " +
	"(POST unless set) and headers (where the receiver's secret goes: PAVE does not sign deliveries), and the " +
	"setting's payload attributes merged into the body's top level."

// tags describe the services the operations are grouped by.
var tags = map[string]string{
	"Sessions": "Inspection sessions: create one per vehicle, follow it, read its photos, notes and results.",
	"Webhooks": "Callback settings: where PAVE sends each event of the API key.",
	"Hotspots": "Damages found on photos you already have (a 360-spin rig's), with their position in each photo.",
}

func vehicle() *obj { return object("$ref", "#/components/schemas/Vehicle") }

// amendments add to generated schemas what PAVE's documentation leaves
// open where a Go type, which must pick one reading, would say too much.
var amendments = map[string]func(s *obj) error{
	"Theme": func(s *obj) error {
		return appendDescription(s, "The theme a session gets when none is sent is not settled: PAVE's "+
			"Create Session page says LITE, its overview PRO; in practice it is the API key's default theme.")
	},
	"Results": func(s *obj) error {
		req, _ := s.get("required").([]any)
		kept := req[:0:0]
		for _, r := range req {
			if r != "vehicle" {
				kept = append(kept, r)
			}
		}
		if len(kept) == len(req) {
			return fmt.Errorf("the Results schema no longer requires vehicle: revisit its amendment")
		}
		s.set("required", kept)
		s.set("anyOf", []any{
			object("description", "The vehicle at the top level, as PAVE's field table reads.",
				"properties", object("vehicle", vehicle()), "required", []any{"vehicle"}),
			object("description", "The vehicle (with user_account and source) inside session, as PAVE's "+
				"sample reads when its braces are counted as printed.",
				"properties", object("session", object("properties", object("vehicle", vehicle()),
					"required", []any{"vehicle"})), "required", []any{"session"}),
		})
		return appendDescription(s, "Where PAVE puts the vehicle is open: both readings are accepted.")
	},
}
