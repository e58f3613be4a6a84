package timeline

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// newlines is what an HTML parser makes of CR LF and CR.
var newlines = strings.NewReplacer("\r\n", "\n", "\r", "\n")

func viaJSON(t *testing.T, s string) string {
	data, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var out string
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// FuzzPageEscaping: whatever text a result carries (scenario, node and pod names, event details), the
// page's data element holds it whole, nothing breaks out of it into markup, and the summary text is
// shown as text.
func FuzzPageEscaping(f *testing.F) {
	for _, s := range []string{
		"", "plain", hostile, "</script>", "</SCRIPT >", "</script\t", "<!--", "<!-- <script>", "-->",
		"<script>", "]]>", "&lt;/script&gt;", "\u2028\u2029", "\\u003c/script>", "\"}]}", "\x00", "\xff\xfe", "\nleading newline", "a\r\nb\rc",
		"</style>", "<svg onload=alert(1)>",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		in := sampleResult(s)
		page := writePage(t, Page{Title: s, Summary: s, Result: in})
		doc := parse(t, page)
		got := embedded(t, doc)
		valid := viaJSON(t, s) // encoding/json writes each invalid UTF-8 byte as U+FFFD
		if got.Scenario != "sample "+valid || got.Timeline.Nodes[1].Name != "node-b"+valid || got.Timeline.Events[1].Detail != valid {
			t.Fatalf("strings changed on the way through the page: %q, %q, %q", got.Scenario, got.Timeline.Nodes[1].Name, got.Timeline.Events[1].Detail)
		}
		if n := len(findAll(doc, byTag("script"))); n != 2 {
			t.Fatalf("%d <script> elements, want 2", n)
		}
		if n := len(findAll(doc, byTag("style"))); n != 1 {
			t.Fatalf("%d <style> elements, want 1", n)
		}
		if pre := findAll(doc, byTag("pre")); s != "" && utf8.ValidString(s) && !strings.ContainsRune(s, 0) && (len(pre) != 1 || text(pre[0]) != newlines.Replace(s)) {
			t.Fatalf("summary %q not shown as text", s)
		}
	})
}
