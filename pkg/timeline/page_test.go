package timeline

import (
	"bytes"
	"encoding/json"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/azlb/azlb/pkg/sim"
)

// hostile is text that would break out of the data element, or inject markup, if it were not escaped.
const hostile = `</script><script>alert("x")</script><!-- <b>&amp;` + "\u2028"

// embedded decodes the page's #timeline-data element as the browser's parser delimits it.
func embedded(t *testing.T, doc *html.Node) *sim.Result {
	t.Helper()
	els := findAll(doc, byID("timeline-data"))
	if len(els) != 1 {
		t.Fatalf("%d #timeline-data elements, want 1", len(els))
	}
	if els[0].Data != "script" || attr(els[0], "type") != "application/json" {
		t.Fatalf("#timeline-data is <%s type=%q>, want <script type=\"application/json\">", els[0].Data, attr(els[0], "type"))
	}
	var r *sim.Result
	if err := json.Unmarshal([]byte(text(els[0])), &r); err != nil {
		t.Fatalf("the embedded data is not JSON: %v\n%.300s", err, text(els[0]))
	}
	return r
}

func TestWriteHTML(t *testing.T) {
	t.Parallel()
	in := sampleResult(hostile)
	page := writePage(t, Page{Title: "lbctl simulate: " + in.Scenario, Summary: "Summary " + hostile, Result: in})
	if !bytes.HasPrefix(page, []byte("<!DOCTYPE html>\n<html lang=\"en\">")) {
		t.Errorf("page starts %.60q, want a doctype and <html lang>", page)
	}
	doc := parse(t, page)

	// The data comes back as written: nothing in it ended the element early.
	got := embedded(t, doc)
	want := roundTrip(t, in)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("embedded result differs from the result written:\n got %+v\nwant %+v", got, want)
	}
	// Exactly our two scripts: the data and the drawing code; no injected one.
	if scripts := findAll(doc, byTag("script")); len(scripts) != 2 {
		t.Errorf("%d <script> elements, want 2 (data and code)", len(scripts))
	}
	if bs := findAll(doc, byTag("b")); len(bs) != 0 {
		t.Errorf("markup from the data or the summary became elements: %d <b>", len(bs))
	}
	// Title and summary shown as text.
	if titles := findAll(doc, byTag("title")); len(titles) != 1 || text(titles[0]) != "lbctl simulate: "+in.Scenario {
		t.Errorf("<title> = %v, want the page title", titles)
	}
	if h1 := findAll(doc, byTag("h1")); len(h1) != 1 || text(h1[0]) != "lbctl simulate: "+in.Scenario {
		t.Errorf("<h1> is not the page title")
	}
	if pre := findAll(doc, byTag("pre")); len(pre) != 1 || text(pre[0]) != "Summary "+hostile {
		t.Errorf("the summary is not shown as preformatted text")
	}
	// The parts the script fills, and the mode it reads.
	for _, id := range []string{"summary", "chart", "legend", "tooltip", "status"} {
		if len(findAll(doc, byID(id))) != 1 {
			t.Errorf("no #%s element", id)
		}
	}
	if body := findAll(doc, byTag("body")); attr(body[0], "data-mode") != "file" {
		t.Errorf("<body data-mode=%q>, want file", attr(body[0], "data-mode"))
	}
}

func roundTrip(t *testing.T, r *sim.Result) *sim.Result {
	t.Helper()
	data, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var out *sim.Result
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestSelfContained: the page loads nothing: no src, no link, no URL in styles or code.
func TestSelfContained(t *testing.T) {
	t.Parallel()
	page := writePage(t, Page{Title: "t", Summary: "s", Result: sampleResult("")})
	doc := parse(t, page)
	for _, n := range findAll(doc, func(*html.Node) bool { return true }) {
		for _, a := range n.Attr {
			if a.Key == "src" || a.Key == "href" || a.Key == "srcset" || a.Key == "action" {
				t.Errorf("<%s %s=%q> loads a resource", n.Data, a.Key, a.Val)
			}
		}
		if n.Data == "link" || n.Data == "iframe" || n.Data == "img" {
			t.Errorf("<%s> element in a self-contained page", n.Data)
		}
	}
	// The SVG namespace is a name, not a load.
	rest := bytes.ReplaceAll(page, []byte(`"http://www.w3.org/2000/svg"`), nil)
	if m := regexp.MustCompile(`(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}|@import|url\((['"]?)[a-z]`).FindAll(rest, -1); len(m) > 0 {
		t.Errorf("the page refers to outside resources: %q", m)
	}
}

// TestDeterministic: the same result gives the same bytes, from the simulation to the page.
func TestDeterministic(t *testing.T) {
	t.Parallel()
	const example = "rolling-update-no-prestop.yaml"
	pages := make([][]byte, 2)
	for i := range pages {
		r := simulateExample(t, example)
		var text bytes.Buffer
		if err := r.WriteText(&text); err != nil {
			t.Fatal(err)
		}
		pages[i] = writePage(t, Page{Title: r.Scenario, Summary: text.String(), Result: r})
	}
	if !bytes.Equal(pages[0], pages[1]) {
		t.Fatal("two pages of the same run differ")
	}
	if r := embedded(t, parse(t, pages[0])); r.Timeline == nil || len(r.Timeline.Nodes) != 4 || r.Failed != 307 {
		t.Errorf("embedded result of %s: timeline %v, failed %d; want 4 node lanes and 307 failed", example, r.Timeline != nil, r.Failed)
	}
}

func TestWriteHTMLWithoutResult(t *testing.T) {
	t.Parallel()
	page := writePage(t, Page{Title: "nothing yet"})
	doc := parse(t, page)
	if r := embedded(t, doc); r != nil {
		t.Errorf("embedded %+v, want null", r)
	}
	if len(findAll(doc, byTag("pre"))) != 0 || len(findAll(doc, byID("report"))) != 0 {
		t.Error("an empty summary still gets a report section")
	}
}

// TestScriptParts: the code and the styles are embedded whole, unescaped.
func TestScriptParts(t *testing.T) {
	t.Parallel()
	page := string(writePage(t, Page{Title: "t", Result: sampleResult("")}))
	for name, part := range map[string]string{"timeline.js": pageJS, "timeline.css": pageCSS} {
		if !strings.Contains(page, part) {
			t.Errorf("%s is not in the page as written", name)
		}
	}
	if strings.Contains(pageJS, "</script") || strings.Contains(pageCSS, "</style") {
		t.Error("an asset would close its own element")
	}
}
