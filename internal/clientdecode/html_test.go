package clientdecode

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"golang.org/x/net/html"
)

func TestHTMLScripts(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"<script>a</script>", []string{"a"}},
		{"x<SCRIPT type=text/javascript>a</ScRiPt >b<script>c</script/>", []string{"a", "c"}},
		{"<script>a</script\tb>", []string{"a"}},
		{"<script>a</script\n>", []string{"a"}},
		{"<script>a</scripts></script>", []string{"a</scripts>"}},
		{"<script>a</scrip></script>", []string{"a</scrip>"}},
		{"<script>a</ script></script>", []string{"a</ script>"}},
		{"<script>'</script>'</script>", []string{"'"}},
		{"<script>a<!--b</script>c", []string{"a<!--b"}},
		{"<script><!--<script>a</script>b</script>c", []string{"<!--<script>a</script>b"}},
		{"<script><!--<script>a-->b</script>c", []string{"<!--<script>a-->b"}},
		{"<script><!--<scripts>a</script>b", []string{"<!--<scripts>a"}},
		{"<script><!-- <script></script> --></script>", []string{"<!-- <script></script> -->"}},
		{"<script><!--<script x</script></script>", []string{"<!--<script x</script>"}},
		{"<script><!-->a</script>", []string{"<!-->a"}},
		{"<script><!--a--><script></script>", []string{"<!--a--><script>"}},
		{"<script><!--a-><script></script>b</script>", []string{"<!--a-><script></script>b"}},
		{"<script>\x00\r\n\r</script>", []string{"\ufffd\n\n"}},
		{`<script data-x="</script>">a</script>`, []string{"a"}},
		{"<!-- <script>a</script> --><script>b</script>", []string{"b"}},
		{"<!--><script>b</script>", []string{"b"}},
		{"<!doctype html><p title='<script>'>x</p><script>b</script>", []string{"b"}},
		{"<style></script><script>a</script></style><script>b</script>", []string{"b"}},
		{"<title><script>a</script></title>", nil},
		{"a < b <script>c</script>", []string{"c"}},
		{"</script><script>c</script>", []string{"c"}},
		{"<script>open", nil},
		{"<script>a</script", nil},
		{"<scr", nil},
	}
	for _, tt := range tests {
		var want []UTF16
		for _, w := range tt.want {
			want = append(want, u(w))
		}
		assert.Equal(t, want, HTMLScripts([]byte(tt.in)), "%q", tt.in)
	}
}

// FuzzHTMLScripts compares HTMLScripts with the tokenizer of
// golang.org/x/net/html, another implementation of the HTML standard's
// tokenizer, on whole documents.
func FuzzHTMLScripts(f *testing.F) {
	for _, s := range []string{
		"<script>a</script>", "<script><!--<script></script>--></script>", "<!-- x --><script>a</SCRIPT>",
		"<script>a<!--b<script>c</script>d-->e</script>", "<p a='<script>'>", "<style></script></style>",
		"<script><!--<script>a</script>b</script>", "<script>a</script \n>",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		want := tokenizerScripts(doc)
		got := HTMLScripts([]byte(doc))
		if len(got) != len(want) {
			t.Fatalf("%q: got scripts %v, x/net/html %v", doc, got, want)
		}
		for i := range got {
			if !got[i].Equal(want[i]) {
				t.Fatalf("%q: script %d is %s, x/net/html %s", doc, i, got[i], want[i])
			}
		}
	})
}

// tokenizerScripts returns the texts of the script elements of doc that an
// end tag ends, as the x/net/html tokenizer finds them.
func tokenizerScripts(doc string) []UTF16 {
	z := html.NewTokenizer(bytes.NewReader([]byte(doc)))
	var scripts []UTF16
	for {
		switch z.Next() {
		case html.ErrorToken:
			if !errors.Is(z.Err(), io.EOF) {
				panic(z.Err())
			}
			return scripts
		case html.StartTagToken:
			if name, _ := z.TagName(); string(name) == "script" {
				text, tt := UTF16{}, z.Next()
				if tt == html.TextToken {
					text, tt = decodeBody(z.Text()), z.Next()
				}
				if tt == html.EndTagToken { // a script the end of the document ends never runs
					scripts = append(scripts, text)
				}
			}
		}
	}
}
