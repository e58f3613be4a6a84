package timeline

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"io"

	"github.com/azlb/azlb/pkg/sim"
)

// Page is what the page shows.
type Page struct {
	// Title heads the page and names its tab.
	Title string
	// Summary is preformatted text shown under the chart (e.g. sim.Result.WriteText output); empty
	// leaves that section out.
	Summary string
	// Result is the run drawn; nil in live mode until data arrives.
	Result *sim.Result
}

// Page modes, as the script reads them from <body data-mode>.
const (
	modeFile = "file" // the data is embedded; drawn once
	modeLive = "live" // the page polls timeline.json every second and redraws
)

var (
	//go:embed assets/page.html
	pageHTML string
	//go:embed assets/timeline.css
	pageCSS string
	//go:embed assets/timeline.js
	pageJS string

	pageTemplate = template.Must(template.New("page").Parse(pageHTML))
)

// pageData fills assets/page.html.
type pageData struct {
	Title   string
	Summary string
	Mode    string
	CSS     template.CSS
	JS      template.JS
	Data    template.JS // JSON, safe inside a <script> element (scriptJSON)
}

// WriteHTML writes the self-contained page for a finished run. The same Page gives the same bytes.
func WriteHTML(w io.Writer, p Page) error {
	page, err := render(p, modeFile)
	if err != nil {
		return err
	}
	_, err = w.Write(page)
	return err
}

// render builds the page: the embedded data is p.Result, or null (live mode fetches it).
func render(p Page, mode string) ([]byte, error) {
	data, err := resultJSON(p.Result)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	err = pageTemplate.Execute(&b, pageData{
		Title:   p.Title,
		Summary: p.Summary,
		Mode:    mode,
		CSS:     template.CSS(pageCSS), //nolint:gosec // our own stylesheet, embedded at build time
		JS:      template.JS(pageJS),   //nolint:gosec // our own script, embedded at build time
		Data:    template.JS(data),     //nolint:gosec // scriptJSON escapes '<', '>' and '&'
	})
	if err != nil {
		return nil, fmt.Errorf("rendering the timeline page: %w", err)
	}
	return b.Bytes(), nil
}
