package timeline

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/azlb/azlb/pkg/manifest"
	"github.com/azlb/azlb/pkg/sim"
)

// sampleResult is a small run of two nodes over four buckets; text lands in the strings a page
// shows (scenario name, node name, event details) to test their escaping.
func sampleResult(text string) *sim.Result {
	end := sim.Seconds(3)
	return &sim.Result{
		Scenario: "sample " + text, Seed: 1, Requests: 40, Succeeded: 33, Failed: 7,
		Failures:    sim.Failures{ConnectionRefused: 3, Timeout: 4},
		SuccessRate: 0.825, Duration: 4,
		Setup:    sim.Setup{Service: "default/web", ExternalTrafficPolicy: "Local", Nodes: 2, Probe: "Http :30001/healthz every 5s, threshold 2"},
		Rollouts: []sim.Rollout{{Revision: 2, Start: 1, End: &end, Duration: 2, Requests: 20, Failed: 7}},
		Nodes:    []sim.NodeShare{{Name: "node-a", Requests: 25}, {Name: "node-b" + text, Requests: 15}},
		Timeline: &sim.Timeline{
			Bucket:           1,
			Times:            []sim.Seconds{0, 1, 2, 3},
			Requests:         []int32{10, 10, 10, 10},
			Served:           []int32{10, 7, 6, 10},
			Refused:          []int32{0, 3, 0, 0},
			NoHealthyBackend: []int32{0, 0, 0, 0},
			Reset:            []int32{0, 0, 0, 0},
			Timeout:          []int32{0, 0, 4, 0},
			Nodes: []sim.NodeTimeline{
				{Name: "node-a", Probe: []string{"up", "up", "down", "out"}, Health: []int{200, 503, 503, 0},
					LocalReady: []int{1, 0, 0, 0}, LocalServing: []int{1, 1, 0, 0}, Served: []int32{5, 2, 0, 0}, Failed: []int32{0, 3, 4, 0}},
				{Name: "node-b" + text, Probe: []string{"up", "up", "up", "up"}, Health: []int{200, 200, 200, 200},
					LocalReady: []int{1, 1, 1, 1}, LocalServing: []int{1, 1, 1, 1}, Served: []int32{5, 5, 6, 10}, Failed: []int32{0, 0, 0, 0}},
			},
			Events: []sim.Event{
				{T: 1, Kind: "RolloutStarted", Detail: "revision 2"},
				{T: 1.2, Kind: "PodDeleting", Node: "node-a", Pod: "web-1", Detail: text},
				{T: 3, Kind: "RolloutComplete", Detail: "revision 2 after 2.0s"},
			},
		},
	}
}

// simulateExample runs examples/scenarios/name in-process.
func simulateExample(t testing.TB, name string) *sim.Result {
	t.Helper()
	set, err := manifest.ReadFiles([]string{filepath.Join("..", "..", "examples", "scenarios", name)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := sim.Simulate(t.Context(), set)
	if err != nil {
		t.Fatalf("simulating %s: %v", name, err)
	}
	return r
}

func writePage(t testing.TB, p Page) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := WriteHTML(&b, p); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// parse parses a page as a browser does.
func parse(t testing.TB, page []byte) *html.Node {
	t.Helper()
	doc, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		t.Fatalf("parsing the page: %v", err)
	}
	return doc
}

// findAll returns the elements under n for which match is true, in document order.
func findAll(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	for c := range n.Descendants() {
		if c.Type == html.ElementNode && match(c) {
			out = append(out, c)
		}
	}
	return out
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func hasClass(n *html.Node, class string) bool {
	for _, c := range strings.Fields(attr(n, "class")) {
		if c == class {
			return true
		}
	}
	return false
}

func byID(id string) func(*html.Node) bool {
	return func(n *html.Node) bool { return attr(n, "id") == id }
}

func byTag(tag string) func(*html.Node) bool {
	return func(n *html.Node) bool { return n.Data == tag }
}

// text is the text content of n.
func text(n *html.Node) string {
	var b strings.Builder
	for c := range n.Descendants() {
		if c.Type == html.TextNode {
			b.WriteString(c.Data)
		}
	}
	return b.String()
}
