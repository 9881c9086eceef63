package admin_test

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"testing"
)

// TestUploadBodies: a signed-out request may post only the sign-in form, so
// nobody can make the node read an upload-sized body with a CSRF cookie they
// set themselves; and a signed-in upload sent without a length (chunked)
// that runs past the route's cap answers 413, not 403.
func TestUploadBodies(t *testing.T) {
	n := adminTestNode(t, "http")

	anon := n.newClient(t, "127.0.0.3")
	anon.get("/admin/login") // a pre-session CSRF cookie and its field
	res, _ := anon.postForm("/admin/statements", url.Values{"title": {"x"}})
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("signed-out POST with the sign-in form's token = %d, want 403", res.StatusCode)
	}

	c := n.signedIn(t, adminName, "127.0.0.4")
	pr, pw := io.Pipe()
	w := multipart.NewWriter(pw)
	go func() {
		_ = w.WriteField("csrf", c.csrf)
		fw, err := w.CreateFormFile("image", "big.jpg")
		if err == nil {
			chunk := bytes.Repeat([]byte{0xff}, 1<<20)
			for i := 0; i < 60 && err == nil; i++ { // 60 MiB, over every admin route's cap
				_, err = fw.Write(chunk)
			}
		}
		if err == nil {
			err = w.Close()
		}
		pw.CloseWithError(err)
	}()
	req, err := http.NewRequest(http.MethodPost, n.URL+"/admin/statements", pr)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.ContentLength = -1 // chunked
	res, err = c.http.Do(req)
	if err != nil {
		t.Fatalf("chunked upload: %v", err)
	}
	res.Body.Close()
	pr.CloseWithError(io.ErrClosedPipe)
	if res.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("chunked upload over the cap = %d, want 413", res.StatusCode)
	}
}
