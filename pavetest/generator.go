package pavetest

import (
	"cmp"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/pave-go/pave"
)

// component is a vehicle part the generator can damage, with the view
// that shows it.
type component struct {
	code  string
	group string
	photo pave.PhotoCode
}

// components follow PAVE's naming (<PART>_<POSITION>, UNIQUE for
// single parts).
var components = []component{
	{"DOOR_FRONT_LEFT", "BODY", pave.PhotoLeft}, {"DOOR_REAR_LEFT", "BODY", pave.PhotoLeft},
	{"DOOR_FRONT_RIGHT", "BODY", pave.PhotoRight}, {"DOOR_REAR_RIGHT", "BODY", pave.PhotoRight},
	{"FENDER_FRONT_LEFT", "BODY", pave.PhotoFrontLeft}, {"FENDER_REAR_LEFT", "BODY", pave.PhotoRearLeft},
	{"FENDER_FRONT_RIGHT", "BODY", pave.PhotoFrontRight}, {"FENDER_REAR_RIGHT", "BODY", pave.PhotoRearRight},
	{"BUMPER_FRONT_UNIQUE", "BODY", pave.PhotoFront}, {"BUMPER_REAR_UNIQUE", "BODY", pave.PhotoRear},
	{"HOOD_FRONT_UNIQUE", "BODY", pave.PhotoFront}, {"TRUNK_REAR_UNIQUE", "BODY", pave.PhotoRear},
	{"MIRROR_HOUSING_LEFT", "PART", pave.PhotoFrontLeft}, {"MIRROR_HOUSING_RIGHT", "PART", pave.PhotoFrontRight},
	{"LIGHT_HEAD_FRONT_LEFT", "PART", pave.PhotoFrontLeft}, {"LIGHT_HEAD_FRONT_RIGHT", "PART", pave.PhotoFrontRight},
	{"LIGHT_TAIL_LEFT", "PART", pave.PhotoRearLeft}, {"LIGHT_TAIL_RIGHT", "PART", pave.PhotoRearRight},
	{"REFLECTOR_REAR", "PART", pave.PhotoRear}, {"TRIM_WINDOW_BOTTOM_LEFT", "PART", pave.PhotoLeft},
	{"TRIM_REAR_WINDOW_BOTTOM_LEFT", "PART", pave.PhotoLeft}, {"TRIM_REAR_WINDOW_BOTTOM_RIGHT", "PART", pave.PhotoRight},
	{"WHEEL_FRONT_LEFT", "WHEEL", pave.PhotoFrontLeft}, {"WHEEL_REAR_LEFT", "WHEEL", pave.PhotoRearLeft},
	{"WHEEL_FRONT_RIGHT", "WHEEL", pave.PhotoFrontRight}, {"WHEEL_REAR_RIGHT", "WHEEL", pave.PhotoRearRight},
	{"WINDSHIELD_FRONT_UNIQUE", "GLASS", pave.PhotoWindshield}, {"WINDOW_REAR_UNIQUE", "GLASS", pave.PhotoRear},
	{"WINDOW_DOOR_FRONT_RIGHT", "GLASS", pave.PhotoRight}, {"WINDOW_DOOR_REAR_LEFT", "GLASS", pave.PhotoLeft},
	{"WINDOW_DOOR_REAR_RIGHT", "GLASS", pave.PhotoRight},
	{"TIRE_FRONT_LEFT", "TIRE", pave.PhotoTires}, {"TIRE_FRONT_RIGHT", "TIRE", pave.PhotoTires},
	{"TIRE_REAR_LEFT", "TIRE", pave.PhotoTires}, {"TIRE_REAR_RIGHT", "TIRE", pave.PhotoTires},
}

// damageKind is a damage name with its description, repair and score.
type damageKind struct {
	name, description, repair, tolerance string
	score                                int
}

var damageKinds = map[string][]damageKind{
	"BODY": {
		{"SCRATCHED_MINOR", "Light Scratch", "Refinish", "Up to 1 inch", 1},
		{"SCRAPED_MEDIUM", "Scraped", "Refinish", "2 to 4 inches", 3},
		{"DENTED_MINOR", "Has Minor Dent", "Specialist Repair", "1/2 to 1 inch", 1},
		{"DENTED_MEDIUM_THROUGH_PAINT", "Has Medium Dent - Through Paint", "Repair & Refinish", "5 to 6 inches", 3},
		{"DENTED_MAJOR", "Has Major Dent", "Replace", "Over 6 inches", 4},
		{"RUSTED_MINOR", "Surface Rust", "Report only", "Up to 1 inch", 0},
	},
	"PART": {
		{"SCRAPED_MINOR", "Scraped", "Refinish", "Up to 1 inch", 1},
		{"CRACKED_MEDIUM", "Cracked", "Replace", "1 to 2 inches", 3},
		{"BROKEN_MAJOR", "Broken", "Replace", "Any size", 4},
		{"FOGGY_MAJOR", "Foggy", "Replace", "Any size", 3},
	},
	"WHEEL": {
		{"CURB_RASH_MINOR", "Curb Rash", "Refinish", "1/8 to 1/2 inch - NAAA Acceptable", 1},
		{"CURB_RASH_MAJOR", "Curb Rash", "Replace", "Over 1 inch", 3},
	},
	"GLASS": {
		{"CHIPPED_MINOR", "Chipped", "Glass Repair", "Up to 1/4 inch", 1},
		{"CRACKED_MAJOR", "Cracked", "Replace", "Over 6 inches", 4},
	},
	"TIRE": {
		{"WORN_MEDIUM", "Worn Tread", "Report", "4/32 to 6/32 inch", 0},
		{"WORN_MAJOR", "Worn Tread - Below Limit", "Replace", "Under 4/32 inch", 3},
	},
}

type damageJSON struct {
	DamageGroup  string `json:"damage_group"`
	Component    string `json:"component"`
	DamageName   string `json:"damage_name"`
	Description  string `json:"description"`
	RepairMethod string `json:"repair_method"`
	GradeScore   int    `json:"grade_score"`
	PhotoCode    int    `json:"photo_code"`
}

// visibleFrom returns the components a view shows (none for the VIN,
// interior and cluster photos).
func visibleFrom(view pave.PhotoCode) []component {
	var out []component
	for _, c := range components {
		if c.photo == view {
			out = append(out, c)
		}
	}
	return out
}

// randomDamage picks a component from pool and a damage kind for it.
func randomDamage(r *rand.Rand, pool []component) (component, damageKind) {
	c := pool[r.IntN(len(pool))]
	kinds := damageKinds[c.group]
	return c, kinds[r.IntN(len(kinds))]
}

func generateDamages(r *rand.Rand, n int) []damageJSON {
	out := make([]damageJSON, 0, n)
	for range n {
		out = append(out, damageOf(randomDamage(r, components)))
	}
	return out
}

// damageOf is the damage of kind k on component c.
func damageOf(c component, k damageKind) damageJSON {
	return damageJSON{DamageGroup: c.group, Component: c.code, DamageName: k.name, Description: k.description,
		RepairMethod: k.repair, GradeScore: k.score, PhotoCode: int(c.photo)}
}

// vehicleGrade maps the summed damage scores to a grade 5 (excellent) to 1.
func vehicleGrade(damages []damageJSON) int {
	sum := 0
	for _, d := range damages {
		sum += d.GradeScore
	}
	return 5 - min(4, sum/4)
}

// --- results document (the fake's choice for the undocumented parts) ---

type userAccountJSON struct {
	Username  string  `json:"username"`
	FirstName string  `json:"first_name"`
	LastName  string  `json:"last_name"`
	Email     string  `json:"email"`
	Phone     *string `json:"phone"`
}

type sourceJSON struct {
	Type       string            `json:"type"`
	Properties map[string]string `json:"properties"`
}

type resultsSessionJSON struct {
	SessionKey       string          `json:"session_key"`
	Theme            string          `json:"theme"`
	Active           bool            `json:"active"`
	Status           string          `json:"status"`
	RedirectURL      *string         `json:"redirect_url"`
	InspectStartedAt string          `json:"inspect_started_at"`
	InspectEndedAt   string          `json:"inspect_ended_at"`
	CaptureDuration  int             `json:"capture_duration"`
	InspectDuration  int             `json:"inspect_duration"`
	CreatedAt        string          `json:"created_at"`
	UpdatedAt        string          `json:"updated_at"`
	Language         string          `json:"language"`
	Options          optionsJSON     `json:"options"`
	UserAccount      userAccountJSON `json:"user_account"`
	Source           sourceJSON      `json:"source"`
	// Vehicle is set instead of the top-level one with VehicleInSession.
	Vehicle *resultsVehicleJSON `json:"vehicle,omitempty"`
}

type resultsVehicleJSON struct {
	ID           int64   `json:"id"`
	SessionKey   string  `json:"session_key"`
	VIN          string  `json:"vin"`
	VRM          *string `json:"vrm"`
	Year         int64   `json:"year"`
	Make         string  `json:"make"`
	Model        string  `json:"model"`
	BodyType     string  `json:"body_type"`
	Trim         string  `json:"trim"`
	Transmission string  `json:"transmission"`
	Drivetrain   string  `json:"drivetrain"`
	EngineType   string  `json:"engine_type"`
	FuelType     string  `json:"fuel_type"`
	ExtCol       string  `json:"ext_col"`
	IntCol       string  `json:"int_col"`
	OdomReading  int64   `json:"odom_reading"`
	OdomUnit     string  `json:"odom_unit"`
}

type locationJSON struct {
	Latitude  float64 `json:"latitude"`
	Longitude float64 `json:"longitude"`
	Address   string  `json:"address"`
}

type inspectionJSON struct {
	Grade       int          `json:"grade"`
	DamageCount int          `json:"damage_count"`
	Damages     []damageJSON `json:"damages"`
}

type resultsJSON struct {
	Event      string              `json:"event"`
	Session    resultsSessionJSON  `json:"session"`
	Vehicle    *resultsVehicleJSON `json:"vehicle,omitempty"`
	Photos     []resultsPhotoJSON  `json:"photos"`
	Location   locationJSON        `json:"location"`
	Inspection inspectionJSON      `json:"inspection"`
}

// resultsDocument builds the results document of a completed session as
// answers show it (see shown), drawing the user account, the location and,
// unless the session has its own, n damages from r.
func (sess *session) resultsDocument(r *rand.Rand, o *Options, n int) []byte {
	first, last := firstNames[r.IntN(len(firstNames))], lastNames[r.IntN(len(lastNames))]
	c := cities[r.IntN(len(cities))]
	damages := sess.damages
	if damages == nil {
		damages = generateDamages(r, n)
	}
	v, sms := sess.shown(o)
	a := sess.acct
	doc := resultsJSON{
		Event: eventComplete,
		Session: resultsSessionJSON{
			SessionKey: sess.key, Theme: sess.theme, Active: true, Status: string(pave.StatusComplete),
			RedirectURL:      optString(sess.redirectURL),
			InspectStartedAt: fmtOffset(sess.startedAt), InspectEndedAt: fmtOffset(sess.endedAt),
			CaptureDuration: int(sess.endedAt.Sub(sess.startedAt).Seconds()),
			InspectDuration: int(sess.updatedAt.Sub(sess.endedAt).Seconds()),
			CreatedAt:       fmtOffset(sess.createdAt), UpdatedAt: fmtOffset(sess.updatedAt), Language: sess.language,
			Options: optionsJSON{ClientID: sess.options.ClientID, SMS: sms, Contact: sess.options.Contact,
				Reference: sess.options.Reference},
			UserAccount: userAccountJSON{
				Username: a.Username, FirstName: first, LastName: last,
				Email: strings.ToLower(first) + "@" + a.AccountName + ".example.com",
			},
			Source: sourceJSON{Type: "api", Properties: map[string]string{"api_name": a.APIName}},
		},
		Location: locationJSON{
			Latitude:  round(c.lat+(r.Float64()-0.5)/10, 4),
			Longitude: round(c.lng+(r.Float64()-0.5)/10, 4),
			Address:   c.name,
		},
		Inspection: inspectionJSON{Grade: vehicleGrade(damages), DamageCount: len(damages), Damages: damages},
	}
	for _, code := range photoCodes {
		if p := sess.photo(code); p != nil {
			doc.Photos = append(doc.Photos, p.resultsView())
		}
	}
	veh := &resultsVehicleJSON{
		ID: int64(v.VehicleID), SessionKey: sess.key, VIN: v.VIN, VRM: optString(v.VRM), Year: int64(v.Year),
		Make: v.Make, Model: v.Model, BodyType: v.BodyType, Trim: v.Trim,
		Transmission: v.Transmission, Drivetrain: v.Drivetrain, EngineType: v.EngineType,
		FuelType: v.FuelType, ExtCol: v.ExtCol, IntCol: v.IntCol,
		OdomReading: int64(v.OdomReading), OdomUnit: string(v.OdomUnit),
	}
	if o.ResultsVehicleInSession {
		doc.Session.Vehicle = veh
	} else {
		doc.Vehicle = veh
	}
	b, _ := marshal(doc)
	return b
}

// GenerateOptions shape a document made by GenerateResults. The zero value
// gives a complete, plausible document.
type GenerateOptions struct {
	// Damages is the number of damages: 0 picks 0 to 10 at random, a
	// negative value gives none.
	Damages int
	// Theme defaults to PRO; Language to EN.
	Theme    pave.Theme
	Language string
	// Username and AccountName name the account (default "pavetest");
	// APIName is source.properties.api_name (default "pavetest").
	Username    string
	AccountName string
	APIName     string
	// RedirectURL, ClientID, Contact and Reference are echoed.
	RedirectURL string
	ClientID    string
	Contact     *pave.Contact
	Reference   map[string]any
	// Vehicle fields that are set override the generated vehicle.
	Vehicle *pave.Vehicle
	// CreatedAt is the session's creation time; the default is derived
	// from the seed, so the document is fully deterministic.
	CreatedAt time.Time
	// VehicleInSession puts the vehicle inside "session" (see
	// Options.ResultsVehicleInSession).
	VehicleInSession bool
}

// GenerateResults returns a results document for
// session key, as GET /v1/sessions/{key}/results and the SESSION:COMPLETE
// webhook carry it: 13 accepted photos in the images-cdn URL format, a
// vehicle with a valid VIN check digit, a location and damages from the
// documented vocabulary with a grade. The same seed, key and options always
// give the same bytes. An empty key is generated from the seed. Decode it
// with json.Unmarshal into a pave.Results.
func GenerateResults(seed int64, key string, opts GenerateOptions) []byte {
	if key == "" {
		key = newSessionKey(newRand(seed, "session-keys"))
	}
	r := newRand(seed, key, "results")
	a := Account{Username: cmp.Or(opts.Username, "pavetest"), APIName: cmp.Or(opts.APIName, "pavetest")}
	a.AccountName = cmp.Or(opts.AccountName, strings.ToLower(a.Username))
	sess := &session{key: key, acct: &account{Account: a}, theme: cmp.Or(string(opts.Theme), string(pave.ThemePro)),
		language: cmp.Or(opts.Language, "EN"), redirectURL: opts.RedirectURL,
		options: pave.SessionOptions{ClientID: opts.ClientID, Contact: opts.Contact, Reference: opts.Reference}}
	mergeFields(&sess.vehicle, opts.Vehicle, true)
	d := generateVehicle(newRand(seed, key, "vehicle"), sess.vehicle.VIN)
	d.VehicleID = pave.Int(50000 + r.IntN(900000))
	mergeFields(&sess.vehicle, &d, false)
	for _, code := range photoCodes {
		url := photoURL(newRand(seed, key, "photo", string(code.Label())), key, code)
		sess.photos = append(sess.photos, &photoState{Code: code, URL: url, Approved: true, Message: "ACCEPTED"})
	}
	sess.createdAt = opts.CreatedAt.UTC().Truncate(time.Second)
	if opts.CreatedAt.IsZero() {
		sess.createdAt = time.Date(2024, 1, 1, 8, 0, 0, 0, time.UTC).Add(time.Duration(r.IntN(365*24*3600)) * time.Second)
	}
	sess.startedAt = sess.createdAt.Add(time.Duration(60+r.IntN(3600)) * time.Second)
	sess.endedAt = sess.startedAt.Add(time.Duration(180+r.IntN(120)) * time.Second)
	sess.updatedAt = sess.endedAt.Add(time.Duration(400+r.IntN(300)) * time.Second)
	n := max(opts.Damages, 0)
	if opts.Damages == 0 {
		n = r.IntN(11)
	}
	return sess.resultsDocument(r, &Options{ResultsVehicleInSession: opts.VehicleInSession}, n)
}
