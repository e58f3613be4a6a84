package timeline

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/azlb/azlb/pkg/sim"
)

// The browser tests drive Debian's headless Chromium (`make deps` installs it). AZLB_SKIP_BROWSER=1
// skips them; AZLB_CHROMIUM names another binary; AZLB_TIMELINE_SCREENSHOTS=DIR keeps the
// screenshots of the examples (DIR/NAME.png) to look at.

// chromium is the browser's path; the test fails when there is none, saying how to get one.
func chromium(t *testing.T) string {
	t.Helper()
	if os.Getenv("AZLB_SKIP_BROWSER") == "1" {
		t.Skip("AZLB_SKIP_BROWSER=1")
	}
	if p := os.Getenv("AZLB_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome-stable", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("Chromium not found: run `make deps` (as root: apt-get install -y chromium), " +
		"set AZLB_CHROMIUM to a Chromium binary, or AZLB_SKIP_BROWSER=1 to skip the browser tests")
	return ""
}

// browse runs headless Chromium on url with args added, isolated from the network and any profile,
// and returns what it wrote on standard output.
func browse(t *testing.T, url string, args ...string) []byte {
	t.Helper()
	bin := chromium(t)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	all := append([]string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--no-proxy-server", "--hide-scrollbars", "--window-size=1280,1400",
		"--user-data-dir=" + t.TempDir(),
	}, args...)
	cmd := exec.CommandContext(ctx, bin, append(all, url)...)
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", bin, url, err, lastLines(stderr.String(), 20))
	}
	return stdout.Bytes()
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// dumpDOM is the document after the page's script ran; the virtual time budget lets its timers and
// fetches (live mode's polls) run first. (A file page draws before its load event: no budget needed.)
func dumpDOM(t *testing.T, url string, budget time.Duration) *html.Node {
	t.Helper()
	out := browse(t, url, "--dump-dom", fmt.Sprintf("--virtual-time-budget=%d", budget.Milliseconds()))
	return parse(t, out)
}

// markerKinds are the scenario's events the chart must mark with a line (timeline.js MARKERS).
var markerKinds = []string{"RolloutStarted", "RolloutComplete", "Scale", "Cordon", "Drained", "NodeAdded", "NodeRemoved"}

// checkChart asserts what the chart drawn in doc shows of r.
func checkChart(t *testing.T, doc *html.Node, r *sim.Result) {
	t.Helper()
	svgs := findAll(doc, byID("timeline-chart"))
	if len(svgs) != 1 || svgs[0].Data != "svg" {
		t.Fatalf("no <svg id=timeline-chart> drawn; summary: %q", textOf(doc, "summary"))
	}
	chart := svgs[0]

	// One lane per node, in order.
	var lanes []string
	for _, g := range findAll(chart, func(n *html.Node) bool { return n.Data == "g" && hasClass(n, "lane") && hasClass(n, "node") }) {
		lanes = append(lanes, attr(g, "data-node"))
	}
	var nodes []string
	for _, n := range r.Timeline.Nodes {
		nodes = append(nodes, n.Name)
	}
	if strings.Join(lanes, ",") != strings.Join(nodes, ",") {
		t.Errorf("node lanes %v, want %v", lanes, nodes)
	}
	// Each lane shows the probe state and the health check as bands covering the run.
	for _, g := range findAll(chart, func(n *html.Node) bool { return hasClass(n, "node") && hasClass(n, "lane") }) {
		if len(findAll(g, func(n *html.Node) bool { return hasClass(n, "probe") })) == 0 ||
			len(findAll(g, func(n *html.Node) bool { return hasClass(n, "health") })) == 0 {
			t.Errorf("lane %s has no probe or health band", attr(g, "data-node"))
		}
	}

	// A marker per rollout, drain, scale and node event.
	want, got := map[string]int{}, map[string]int{}
	for _, e := range r.Timeline.Events {
		for _, k := range markerKinds {
			if e.Kind == k {
				want[k]++
			}
		}
	}
	for _, g := range findAll(chart, func(n *html.Node) bool { return n.Data == "g" && hasClass(n, "event") }) {
		if k := attr(g, "data-kind"); want[k] > 0 {
			got[k]++
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("event markers %v, want %v", got, want)
	}

	// A failure bar per bucket and cause that had failures, and none elsewhere.
	tl := r.Timeline
	wantBars := map[string]int{}
	for cause, series := range map[string][]int32{"connectionRefused": tl.Refused, "noHealthyBackend": tl.NoHealthyBackend, "reset": tl.Reset, "timeout": tl.Timeout} {
		for _, v := range series {
			if v > 0 {
				wantBars[cause]++
			}
		}
	}
	gotBars := map[string]int{}
	for _, b := range findAll(chart, func(n *html.Node) bool { return n.Data == "rect" && hasClass(n, "failed") }) {
		gotBars[attr(b, "data-cause")]++
	}
	if fmt.Sprint(gotBars) != fmt.Sprint(wantBars) {
		t.Errorf("failure bars by cause %v, want %v", gotBars, wantBars)
	}

	// The verdict.
	verdict := textOf(doc, "verdict")
	if r.Failed > 0 {
		if want := grouped(r.Failed) + " requests failed"; !strings.HasPrefix(verdict, want) {
			t.Errorf("verdict %q, want %q", verdict, want)
		}
	} else if !strings.HasPrefix(verdict, "No request failed") {
		t.Errorf("verdict %q, want no request failed", verdict)
	}
}

func textOf(doc *html.Node, id string) string {
	if els := findAll(doc, byID(id)); len(els) == 1 {
		return text(els[0])
	}
	return ""
}

// grouped writes n with thousands separated by commas, as the page does.
func grouped(n int64) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// TestBrowserExamples draws every example scenario's page in Chromium, checks the chart in the DOM
// and that the screenshot shows it in its colours.
func TestBrowserExamples(t *testing.T) {
	t.Parallel()
	chromium(t)
	files, err := filepath.Glob("../../examples/scenarios/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples: %v", err)
	}
	sort.Strings(files)
	keep := os.Getenv("AZLB_TIMELINE_SCREENSHOTS")
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".yaml")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := simulateExample(t, filepath.Base(f))
			dir := t.TempDir()
			page, shot := filepath.Join(dir, "page.html"), filepath.Join(dir, "page.png")
			if keep != "" {
				shot = filepath.Join(keep, name+".png")
			}
			if err := os.WriteFile(page, writePage(t, Page{Title: r.Scenario, Summary: "text", Result: r}), 0o600); err != nil {
				t.Fatal(err)
			}
			// One browser run: the DOM once the script has drawn, and a screenshot.
			out := browse(t, "file://"+page, "--dump-dom", "--screenshot="+shot)
			checkChart(t, parse(t, out), r)
			checkScreenshot(t, shot, r)
		})
	}
}

// The colours of timeline.css.
var (
	colourServed = [3]uint8{0xa5, 0xc8, 0xe4}
	colourUp     = [3]uint8{0x40, 0xc0, 0x57}
	colourDown   = [3]uint8{0xe0, 0x31, 0x31}
	colourCause  = map[string][3]uint8{
		"connection refused": {0xe8, 0x59, 0x0c}, "no healthy backend": {0x70, 0x48, 0xe8},
		"reset": {0xf5, 0xb4, 0x00}, "timeout": {0xc2, 0x25, 0x5c},
	}
)

// checkScreenshot: the page painted (not blank, 1280 wide) with the colours of what r holds: served
// requests, nodes up, nodes down if any was, and each failure cause that occurred.
func checkScreenshot(t *testing.T, path string, r *sim.Result) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 1280 || b.Dy() != 1400 {
		t.Errorf("screenshot is %v, want 1280x1400", b)
	}
	want := map[string][3]uint8{"served": colourServed, "probe up": colourUp}
	for _, n := range r.Timeline.Nodes {
		if slices.Contains(n.Probe, "down") {
			want["probe down"] = colourDown
		}
	}
	for name, count := range map[string]int64{"connection refused": r.Failures.ConnectionRefused, "no healthy backend": r.Failures.NoHealthyBackend, "reset": r.Failures.Reset, "timeout": r.Failures.Timeout} {
		if count > 0 {
			want[name] = colourCause[name]
		}
	}
	colours := map[[3]uint8]bool{}
	eachPixel(img, func(c [3]uint8) { colours[c] = true })
	if len(colours) < 50 {
		t.Errorf("screenshot has %d colours: blank?", len(colours))
	}
	for name, w := range want {
		found := false
		for c := range colours {
			if near(c, w) {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("no %s colour in the screenshot", name)
		}
	}
}

// eachPixel calls f with the colour of every pixel.
func eachPixel(img image.Image, f func([3]uint8)) {
	b := img.Bounds()
	switch m := img.(type) {
	case *image.RGBA:
		for i := 0; i+3 < len(m.Pix); i += 4 {
			f([3]uint8{m.Pix[i], m.Pix[i+1], m.Pix[i+2]})
		}
	case *image.NRGBA:
		for i := 0; i+3 < len(m.Pix); i += 4 {
			f([3]uint8{m.Pix[i], m.Pix[i+1], m.Pix[i+2]})
		}
	default:
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				r, g, bl, _ := img.At(x, y).RGBA()
				f([3]uint8{uint8(r >> 8), uint8(g >> 8), uint8(bl >> 8)})
			}
		}
	}
}

func near(a, b [3]uint8) bool {
	for i := range a {
		if d := int(a[i]) - int(b[i]); d < -4 || d > 4 {
			return false
		}
	}
	return true
}

// TestBrowserLive: the live page draws after its first poll that brings data.
func TestBrowserLive(t *testing.T) {
	t.Parallel()
	chromium(t)
	r := sampleResult("")
	var polls atomic.Int32
	srv := httptest.NewServer(LiveHandler("sandbox", func() (*sim.Result, error) {
		if polls.Add(1) == 1 {
			return nil, nil // the first poll finds no data yet
		}
		return r, nil
	}))
	t.Cleanup(srv.Close)
	doc := dumpDOM(t, srv.URL+"/", 3*time.Second)
	if polls.Load() < 2 {
		t.Fatalf("%d polls, want at least 2 (one before the data, one after)", polls.Load())
	}
	checkChart(t, doc, r)
	if s := textOf(doc, "status"); !strings.HasPrefix(s, "live · updated") {
		t.Errorf("status %q, want live · updated", s)
	}
}

// TestBrowserManyNodes: past 16 nodes the lanes are compact (probe and health bands only), one per
// node still.
func TestBrowserManyNodes(t *testing.T) {
	t.Parallel()
	chromium(t)
	r := sampleResult("")
	base := r.Timeline.Nodes
	r.Timeline.Nodes = nil
	for i := range 20 {
		n := base[i%2]
		n.Name = fmt.Sprintf("aks-nodepool1-12345678-vmss%06d", i)
		r.Timeline.Nodes = append(r.Timeline.Nodes, n)
	}
	page := filepath.Join(t.TempDir(), "page.html")
	if err := os.WriteFile(page, writePage(t, Page{Title: "many nodes", Result: r}), 0o600); err != nil {
		t.Fatal(err)
	}
	doc := parse(t, browse(t, "file://"+page, "--dump-dom"))
	checkChart(t, doc, r)
	if steps := findAll(doc, func(n *html.Node) bool { return hasClass(n, "ready-line") }); len(steps) != 0 {
		t.Errorf("%d endpoint lines in compact lanes, want none", len(steps))
	}
}
