package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pave-go/pave"
	"github.com/pave-go/pave/pavetest"
)

// cliCreateHotspots runs `pave hotspots create` and returns the key.
func cliCreateHotspots(t *testing.T, env []string, args ...string) string {
	t.Helper()
	r := mustOK(t, cli(t, env, append([]string{"hotspots", "create"}, args...)...))
	key, ok := strings.CutPrefix(strings.TrimSpace(r.stdout), "Session key: ")
	require.True(t, ok, r.stdout)
	return key
}

func TestHotspotsUploadProcessResults(t *testing.T) {
	t.Parallel()
	srv := pavetest.NewServer(t, pavetest.WithSeed(11))
	env := fakeEnv(srv)
	key := cliCreateHotspots(t, env, "--vin", "1HGCV1F39LA012345", "--client-id", "STOCK-4411", "--reference", "lot=B")
	sess, err := srv.Session(key)
	require.NoError(t, err)
	assert.Equal(t, "STOCK-4411", sess.ClientID)

	r := mustOK(t, cli(t, env, "hotspots", "upload", key,
		"--photo", "front_left=https://cdn.example/fl.jpg", "--photo", "REAR=https://cdn.example/r.jpg",
		"--photo", "Right=https://cdn.example/ri.jpg"))
	assert.Regexp(t, `LABEL\s+VERDICT`, r.stdout)
	assert.Regexp(t, `Front_Left\s+accepted`, r.stdout)
	assert.Regexp(t, `Rear\s+accepted`, r.stdout)
	assert.Regexp(t, `Right\s+accepted`, r.stdout)
	var sent struct {
		Photos []pave.HotspotPhoto `json:"photos"`
	}
	upload := lastRequestTo(t, srv, http.MethodPost, "/v1/hotspots/"+key)
	if err := upload.DecodeBody(&sent); err != nil || len(sent.Photos) == 0 {
		require.NoError(t, json.Unmarshal(upload.Body, &sent.Photos), "%s", upload.Body)
	}
	require.Len(t, sent.Photos, 3)
	assert.Equal(t, pave.LabelFrontLeft, sent.Photos[0].PhotoLabel, "labels are sent in their documented case")

	// Not analysed yet: 6.
	r = cli(t, env, "hotspots", "results", key)
	assert.Equal(t, exitNotReady, r.code, r.stderr)
	assert.Contains(t, r.stderr, "not yet completed")

	require.NoError(t, srv.ProcessHotspots(key))
	res, err := srv.Client().Hotspots.Results(t.Context(), key)
	require.NoError(t, err)

	r = mustOK(t, cli(t, env, "hotspots", "results", key))
	assert.True(t, strings.HasPrefix(r.stdout, "Hotspots results for session "+key+": "), r.stdout)
	if res.DamageCount() > 0 {
		assert.Regexp(t, `LABEL\s+COMPONENT\s+DAMAGE\s+POSITION\s+REPAIR`, r.stdout)
		for _, p := range res.Photos {
			for _, d := range p.Damages {
				assert.Contains(t, r.stdout, d.Component)
				if d.Coords != nil {
					assert.Contains(t, r.stdout, d.Coords.String())
				}
			}
		}
	}

	r = mustOK(t, cli(t, env, "hotspots", "results", key, "--json"))
	var doc, want any
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &doc), r.stdout)
	require.NoError(t, json.Unmarshal(res.Raw(), &want))
	assert.Equal(t, want, doc)

	// --wait on analysed photos returns at once.
	r = mustOK(t, cli(t, env, "hotspots", "results", key, "--wait", "--interval", "20ms"))
	assert.Contains(t, r.stdout, "Hotspots results for session "+key)

	// --json of an upload: PAVE's verdicts.
	key2 := cliCreateHotspots(t, env)
	r = mustOK(t, cli(t, env, "hotspots", "upload", key2, "--photo", "vin=https://cdn.example/vin.jpg", "--json"))
	var ups []map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &ups), r.stdout)
	require.Len(t, ups, 1)
	assert.Equal(t, "VIN", ups[0]["photo_label"])
	assert.Equal(t, true, ups[0]["success"])
}

func TestHotspotsCreateJSON(t *testing.T) {
	t.Parallel()
	srv := pavetest.NewServer(t)
	r := mustOK(t, cli(t, fakeEnv(srv), "hotspots", "create", "--json"))
	var got map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &got), r.stdout)
	key, _ := got["session_key"].(string)
	_, err := srv.Session(key)
	require.NoError(t, err)
}

func TestHotspotsWait(t *testing.T) {
	t.Parallel()
	srv := pavetest.NewServer(t)
	env := fakeEnv(srv)

	t.Run("processed in the background", func(t *testing.T) {
		t.Parallel()
		key := cliCreateHotspots(t, env)
		mustOK(t, cli(t, env, "hotspots", "upload", key, "--photo", "front=https://cdn.example/f.jpg"))
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(300 * time.Millisecond)
			assert.NoError(t, srv.ProcessHotspots(key))
		}()
		r := mustOK(t, cli(t, env, "hotspots", "results", key, "--wait", "--interval", "50ms", "--timeout", "30s", "--json"))
		wg.Wait()
		var doc map[string]any
		require.NoError(t, json.Unmarshal([]byte(r.stdout), &doc), r.stdout)
		assert.NotEqual(t, false, doc["success"])
	})

	t.Run("timeout exits 6", func(t *testing.T) {
		t.Parallel()
		key := cliCreateHotspots(t, env)
		mustOK(t, cli(t, env, "hotspots", "upload", key, "--photo", "front=https://cdn.example/f.jpg"))
		r := cli(t, env, "hotspots", "results", key, "--wait", "--interval", "20ms", "--timeout", "300ms")
		assert.Equal(t, exitNotReady, r.code, r.stderr)
		assert.Empty(t, r.stdout)
	})
}

func TestHotspotsBadInput(t *testing.T) {
	t.Parallel()
	srv := pavetest.NewServer(t)
	env := fakeEnv(srv)
	key := cliCreateHotspots(t, env)
	const img = "https://cdn.example/f.jpg"
	for _, tc := range []struct {
		args []string
		code int
		want []string
	}{
		{[]string{"hotspots", "upload", key}, exitUsage, []string{"--photo", "at least one"}},
		{[]string{"hotspots", "upload", key, "--photo", "front"}, exitUsage, []string{"--photo", "LABEL=URL"}},
		{[]string{"hotspots", "upload", key, "--photo", "=" + img}, exitUsage, []string{"--photo", "LABEL=URL"}},
		{[]string{"hotspots", "upload", key, "--photo", "roof=" + img}, exitUsage, []string{"--photo",
			`unknown label "roof"`, "Front_Left"}},
		{[]string{"hotspots", "upload", key, "--photo", "front="}, exitUsage, []string{"--photo", "http or https"}},
		{[]string{"hotspots", "upload", key, "--photo", "front=ftp://cdn.example/f.jpg"}, exitUsage, []string{"--photo",
			"http or https"}},
		{[]string{"hotspots", "upload", key, "--photo", "front=/f.jpg"}, exitUsage, []string{"--photo"}},
		{[]string{"hotspots", "upload", "--photo", "front=" + img}, exitUsage, []string{"KEY"}},
		{[]string{"hotspots", "upload", key, "--photo", "front=" + img, "--photo", "FRONT=" + img}, exitValidation,
			[]string{"photo_label", "--photo"}},
		{[]string{"hotspots", "results"}, exitUsage, []string{"KEY"}},
		{[]string{"hotspots", "results", key, "--timeout", "1m"}, exitUsage, []string{"--timeout", "--wait"}},
		{[]string{"hotspots", "results", key, "--interval", "1s"}, exitUsage, []string{"--interval", "--wait"}},
		{[]string{"hotspots", "results", key, "--wait", "--interval", "0"}, exitUsage, []string{"--interval"}},
		{[]string{"hotspots", "results", key, "--wait", "--timeout", "0"}, exitUsage, []string{"--timeout"}},
		{[]string{"hotspots", "create", "--vin", ""}, exitUsage, []string{"--vin"}},
		{[]string{"hotspots", "create", "--reference", "x"}, exitUsage, []string{"--reference"}},
		{[]string{"hotspots", "create", "--vin", "NOTAVIN"}, exitValidation, []string{"vehicle.vin", "--vin"}},
		{[]string{"hotspots", "bogus"}, exitUsage, []string{"bogus"}},
		{[]string{"hotspots", "results", "NSA-NOSUCHKEY1"}, exitNotFound, nil},
		{[]string{"hotspots", "upload", "NSA-NOSUCHKEY1", "--photo", "front=" + img}, exitNotFound, nil},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			t.Parallel()
			r := cli(t, env, tc.args...)
			assert.Equal(t, tc.code, r.code, "stdout: %s\nstderr: %s", r.stdout, r.stderr)
			for _, w := range tc.want {
				assert.Contains(t, r.stderr, w)
			}
			assert.Equal(t, 1, strings.Count(r.stderr, "\n"), "one line: %q", r.stderr)
			assert.Empty(t, r.stdout)
		})
	}
}

func TestHotspotsUploadRefusedPhoto(t *testing.T) {
	t.Parallel()
	// PAVE refusing one photo (it could not fetch it) is not something the
	// fake does for a request the SDK lets through: answer as PAVE does.
	body := pavetest.MustFixture(t, "hotspots_upload.json")
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/photos-url") {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
	t.Cleanup(ts.Close)
	creds := pavetest.MockCredentials()
	env := []string{"PAVE_BASE_URL=" + ts.URL, "PAVE_USERNAME=" + creds.Username, "PAVE_API_KEY=" + creds.APIKey,
		"PAVE_API_SECRET=" + creds.APISecret}
	args := []string{"hotspots", "upload", pavetest.FixtureSessionKey,
		"--photo", "vin=https://cdn.spin360.example/lot7/3310/vin.jpg",
		"--photo", "left=https://cdn.spin360.example/lot7/3310/left.jpg",
		"--photo", "front=https://cdn.spin360.example/lot7/3310/front.jpg"}
	r := cli(t, env, args...)
	assert.Equal(t, exitError, r.code, r.stderr)
	assert.Regexp(t, `VIN\s+accepted`, r.stdout)
	assert.Regexp(t, `Front\s+refused: Photo URL could not be fetched.`, r.stdout)
	assert.Equal(t, "pave: PAVE refused 1 of 3 photos\n", r.stderr)

	r = cli(t, env, append(args, "--json")...)
	assert.Equal(t, exitError, r.code, r.stderr)
	var ups []pave.HotspotUpload
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &ups), r.stdout)
	require.Len(t, ups, 3)
	assert.False(t, ups[2].Success)
}
