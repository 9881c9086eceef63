package web_test

import (
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tadamun/tadamun/federation"
	"github.com/tadamun/tadamun/federation/content"
	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/storage/storagetest"
)

func TestImages(t *testing.T) {
	n := newNode(t, storagetest.SQLiteURL(t))
	ctx := context.Background()
	if _, err := n.fed.CreateActor(ctx, federation.NewActor{Username: "icssi"}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	img := image.NewRGBA(image.Rect(0, 0, 40, 30))
	img.Set(1, 1, color.RGBA{R: 200, A: 255})
	f, err := os.Create(filepath.Join(dir, "oslo.png"))
	if err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	f.Close()
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not an image"), 0o600)

	publish := func(src string) (*content.Draft, error) {
		d, err := content.ParseStatementFile([]byte(src))
		if err != nil {
			return nil, err
		}
		for i := range d.Images {
			d.Images[i].File = filepath.Join(dir, d.Images[i].File)
		}
		_, err = n.fed.Publish(ctx, "icssi", d)
		return d, err
	}
	if _, err := publish("---\ntitle: Oslo\nlanguage: en\nimages:\n  - file: oslo.png\n    alt: Quazi Baybi in Oslo demonstrating with Iraq\n---\nBody.\n"); err != nil {
		t.Fatal(err)
	}
	if _, err := publish("---\ntitle: Bad\nlanguage: en\nimages:\n  - file: notes.txt\n    alt: x\n---\nBody.\n"); err == nil || !strings.Contains(err.Error(), "JPEG, PNG") {
		t.Fatalf("a text file as image: %v", err)
	}
	if _, err := content.ParseStatementFile([]byte("---\ntitle: Bad\nlanguage: en\nimages:\n  - file: oslo.png\n---\n")); err == nil || !strings.Contains(err.Error(), "alt text") {
		t.Fatalf("an image without alt text: %v", err)
	}

	_, page := n.get(t, "/@icssi/oslo")
	if !strings.Contains(page, `alt="Quazi Baybi in Oslo demonstrating with Iraq"`) || !strings.Contains(page, `width="40" height="30"`) {
		t.Fatalf("page lacks the image:\n%s", page)
	}
	i := strings.Index(page, `src="/media/`)
	src := page[i+5 : i+5+strings.Index(page[i+5:], `"`)]
	res, body := n.get(t, src)
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/png" || !strings.HasPrefix(body, "\x89PNG") {
		t.Fatalf("GET %s = %d %s", src, res.StatusCode, res.Header.Get("Content-Type"))
	}
	_, doc := n.get(t, "/@icssi/oslo", "Accept", "application/activity+json")
	// One attachment is serialized as an object (go-fed, like the spec,
	// collapses one-element arrays); consumers accept both forms.
	var o struct {
		Attachment map[string]any `json:"attachment"`
	}
	if err := json.Unmarshal([]byte(doc), &o); err != nil || o.Attachment == nil {
		t.Fatalf("object attachments: %s", doc)
	}
	a := o.Attachment
	if a["type"] != "Image" || a["mediaType"] != "image/png" || a["name"] != "Quazi Baybi in Oslo demonstrating with Iraq" ||
		a["url"] != "http://node.test"+src || a["width"] != float64(40) {
		t.Fatalf("attachment %v", a)
	}
	for _, bad := range []string{"/media/../../etc/passwd", "/media/x/1.png", "/media/" + strings.Repeat("0", 26) + "/1.png"} {
		if r, _ := n.get(t, bad); r.StatusCode != 404 {
			t.Errorf("GET %s = %d", bad, r.StatusCode)
		}
	}
	// Deleting the statement removes its files.
	list, _ := n.store.ListStatements(ctx, storageQueryAll())
	if _, err := n.fed.DeleteStatement(ctx, list[0].ID); err != nil {
		t.Fatal(err)
	}
	if r, _ := n.get(t, src); r.StatusCode != 404 {
		t.Errorf("image of a deleted statement = %d", r.StatusCode)
	}
	if _, err := os.Stat(filepath.Join(n.fed.MediaDir(), list[0].ID)); !os.IsNotExist(err) {
		t.Errorf("files of a deleted statement remain: %v", err)
	}
}

func storageQueryAll() storage.StatementQuery { return storage.StatementQuery{} }

func TestProfileImages(t *testing.T) {
	n := newNode(t, storagetest.SQLiteURL(t))
	ctx := context.Background()
	a, err := n.fed.CreateActor(ctx, federation.NewActor{Username: "icssi", DisplayName: "ICSSI"})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	f, _ := os.Create(filepath.Join(dir, "logo.png"))
	png.Encode(f, image.NewRGBA(image.Rect(0, 0, 8, 8)))
	f.Close()
	name := "Iraqi Civil Society Solidarity Initiative"
	updated, err := n.fed.UpdateProfile(ctx, "icssi", federation.ProfileUpdate{DisplayName: &name, AvatarFile: filepath.Join(dir, "logo.png"),
		Fields: []storage.Field{{Name: "Website", Value: "https://example.org"}}})
	if err != nil {
		t.Fatal(err)
	}
	_, page := n.get(t, "/@icssi")
	// Each new avatar gets a new name (avatar-<random>.png), so that
	// servers holding the old one in cache fetch the new one.
	src := "/media/" + updated.AvatarPath
	if !strings.HasPrefix(src, "/media/actors/"+a.ID+"/avatar-") || !strings.HasSuffix(src, ".png") {
		t.Fatalf("avatar path %s", updated.AvatarPath)
	}
	if !strings.Contains(page, `src="`+src+`"`) || !strings.Contains(page, name) || !strings.Contains(page, "<dt dir=\"auto\">Website</dt>") {
		t.Fatalf("profile page:\n%s", page)
	}
	if res, body := n.get(t, src); res.StatusCode != 200 || !strings.HasPrefix(body, "\x89PNG") {
		t.Fatalf("avatar = %d", res.StatusCode)
	}
	for _, bad := range []string{"/media/actors/" + a.ID + "/header.png", "/media/actors/" + a.ID + "/../../x", "/media/actors/nope/avatar.png"} {
		if res, _ := n.get(t, bad); res.StatusCode != 404 {
			t.Errorf("%s = %d", bad, res.StatusCode)
		}
	}
	_, doc := n.get(t, "/users/icssi", "Accept", "application/activity+json")
	if !strings.Contains(doc, `"icon":{"type":"Image","url":"http://node.test`+src+`"}`) && !strings.Contains(doc, `http://node.test`+src) {
		t.Fatalf("actor document lacks the icon: %s", doc)
	}
}
