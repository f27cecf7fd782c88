package pave_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync/atomic"
	"time"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/pavetest"
)

// exampleHotspotsServer stands in for PAVE: it accepts photo URLs, answers
// "not yet completed" to the first results request and the damages after.
func exampleHotspotsServer() *httptest.Server {
	var polls atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/hotspots/{key}/photos-url", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Photos []pave.HotspotPhoto `json:"photos"`
		}
		_ = json.NewDecoder(r.Body).Decode(&req)
		var out struct {
			Data []pave.HotspotUpload `json:"data"`
		}
		for _, p := range req.Photos {
			u := pave.HotspotUpload{PhotoLabel: p.PhotoLabel, URL: p.URL, Success: true, Message: "Photo URL has been successfully uploaded."}
			if p.PhotoLabel == pave.LabelTires {
				u.Success, u.Message = false, "Photo URL could not be fetched."
			}
			out.Data = append(out.Data, u)
		}
		_ = json.NewEncoder(w).Encode(out)
	})
	mux.HandleFunc("GET /v1/hotspots/{key}", func(w http.ResponseWriter, r *http.Request) {
		if polls.Add(1) == 1 {
			_, _ = w.Write([]byte(`{"success": false, "message": "Session is not yet completed.", "data": []}`))
			return
		}
		b := pavetest.Fixture("hotspots_results.json")
		_, _ = w.Write(b)
	})
	return httptest.NewServer(mux)
}

func exampleHotspotsClient(baseURL string) *pave.Client {
	client, err := pave.NewClient(pave.Credentials{
		Username: "spin360", APIKey: "3c9e1f7a-example-key", APISecret: "example-secret",
	}, pave.WithBaseURL(baseURL))
	if err != nil {
		log.Fatal(err)
	}
	return client
}

func ExampleHotspotsService_UploadPhotos() {
	srv := exampleHotspotsServer()
	defer srv.Close()
	client := exampleHotspotsClient(srv.URL)
	ctx := context.Background()

	uploads, err := client.Hotspots.UploadPhotos(ctx, "SPN-7Q2M9XK4TB", []pave.HotspotPhoto{
		{PhotoLabel: pave.LabelLeft, URL: "https://cdn.spin360.example/lot7/3310/left.jpg"},
		{PhotoLabel: pave.LabelTires, URL: "https://cdn.spin360.example/lot7/3310/tires.jpg"},
	})
	if err != nil {
		log.Fatal(err) // the whole request was refused
	}
	fmt.Println("submitted:", len(uploads))
	// A refused photo is not an error: retry it with another URL.
	for _, u := range pave.FailedUploads(uploads) {
		fmt.Printf("refused %s: %s\n", u.PhotoLabel, u.Message)
	}

	// Invalid input is caught before anything is sent.
	_, err = client.Hotspots.UploadPhotos(ctx, "SPN-7Q2M9XK4TB", []pave.HotspotPhoto{
		{PhotoLabel: "Roof", URL: "cdn.spin360.example/fl.jpg"},
	})
	fields := pave.FieldErrors(err)
	for _, f := range []string{"photos[0].photo_label", "photos[0].url"} {
		fmt.Printf("%s: %s\n", f, fields[f][0])
	}
	// Output:
	// submitted: 2
	// refused Tires: Photo URL could not be fetched.
	// photos[0].photo_label: photo_label "Roof" is not a standard view label (VIN, Interior, Cluster, Left, Front, Tires, Right, Rear, Windshield, Front_Left, Front_Right, Rear_Right, Rear_Left)
	// photos[0].url: url must be an absolute http or https URL
}

func ExampleHotspotsService_Results() {
	srv := exampleHotspotsServer()
	defer srv.Close()
	client := exampleHotspotsClient(srv.URL)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	var res *pave.HotspotResults
	for {
		var err error
		res, err = client.Hotspots.Results(ctx, "SPN-7Q2M9XK4TB")
		if errors.Is(err, pave.ErrNotReady) {
			fmt.Println("not ready yet")
			time.Sleep(10 * time.Millisecond) // poll every few seconds in real code
			continue
		}
		if err != nil {
			log.Fatal(err)
		}
		break
	}
	fmt.Println(res.Message)
	for _, photo := range res.Photos {
		for _, d := range photo.Damages {
			if d.Coords == nil {
				continue
			}
			fmt.Printf("%s on %s at x=%.2f%% y=%.2f%%: %s\n", d.Description, photo.PhotoLabel, d.Coords.X, d.Coords.Y, d.RepairMethod)
		}
	}
	// Output:
	// not ready yet
	// 3 damages found on the vehicle.
	// Curb Rash on Left at x=77.40% y=68.25%: Refinish
	// Scraped on Left at x=64.10% y=39.90%: Repair & Refinish
	// Chipped on Windshield at x=31.06% y=12.50%: Glass Repair
}

func ExampleHotspotsService_WaitForResults() {
	srv := exampleHotspotsServer()
	defer srv.Close()
	client := exampleHotspotsClient(srv.URL)
	// An analysis typically takes minutes: bound the wait.
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()

	res, err := client.Hotspots.WaitForResults(ctx, "SPN-7Q2M9XK4TB",
		// Fast for the example; the defaults (5 s, growing to 60 s) suit PAVE.
		pave.PollFirstAfter(0), pave.PollInterval(10*time.Millisecond, 10*time.Millisecond))
	if err != nil {
		// An unknown session (pave.ErrNotFound), or ctx's deadline
		// (context.DeadlineExceeded, with how long it waited).
		log.Fatal(err)
	}
	fmt.Println(res.Message)
	for _, photo := range res.Photos {
		for _, d := range photo.Damages {
			fmt.Printf("%s: %s on %s\n", photo.PhotoLabel, d.Description, d.Component)
		}
	}
	// Output:
	// 3 damages found on the vehicle.
	// Left: Curb Rash on WHEEL_REAR_LEFT
	// Left: Scraped on FENDER_REAR_LEFT
	// Windshield: Chipped on WINDSHIELD_FRONT_UNIQUE
}

func ExampleResults_Summary() {
	// A SESSION:COMPLETE webhook body or a GET results response.
	body := pavetest.Fixture("results.json")
	var res pave.Results
	if err := json.Unmarshal(body, &res); err != nil {
		log.Fatal(err)
	}

	s := res.Summary()
	if s.Graded {
		fmt.Printf("grade %d (%s)\n", s.Grade, s.GradeLabel)
	}
	fmt.Println("damages:", s.DamageCount)
	components := make([]string, 0, len(s.WorstByComponent))
	for c := range s.WorstByComponent {
		components = append(components, c)
	}
	slices.Sort(components)
	for _, c := range components {
		d := s.WorstByComponent[c]
		photo, _ := res.PhotoFor(d)
		fmt.Printf("%s: %s, %s (photo %s)\n", c, d.Description, d.RepairMethod, photo.PhotoLabel)
	}
	// Output:
	// grade 3 (Good condition)
	// damages: 2
	// BUMPER_REAR_UNIQUE: Scraped, Refinish (photo Rear)
	// WHEEL_FRONT_LEFT: Curb rash, Specialist Repair (photo Left)
}

func ExampleSessionsService_ResendSMS() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"status": "error", "message": "SMS has already been resent for this session", "session_key": "LKH-7Q2M9XK4TB"}`))
	}))
	defer srv.Close()
	client := exampleHotspotsClient(srv.URL)

	_, err := client.Sessions.ResendSMS(context.Background(), "LKH-7Q2M9XK4TB", &pave.ResendSMSRequest{Phone: "+14165550199"})
	switch {
	case errors.Is(err, pave.ErrResendAlreadySent):
		fmt.Println("already resent once: call the customer instead")
	case errors.Is(err, pave.ErrResendFinalized), errors.Is(err, pave.ErrResendTooOld):
		fmt.Println("too late to resend: create a new session")
	case err != nil:
		log.Fatal(err)
	}
	// Output:
	// already resent once: call the customer instead
}
