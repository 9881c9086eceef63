package federation_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"image"
	"image/jpeg"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tadamun/tadamun/federation"
	"github.com/tadamun/tadamun/federation/content"
	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/storage/storagetest"
)

// A phone photograph carries, in its EXIF block, where it was taken, the
// camera's serial number and the photographer's name; editors add XMP and
// IPTC. None of it may reach the published file.
const (
	secretArtist = "Amal Haddad (photographer)"
	secretSerial = "BODY-SERIAL-992871"
	secretXMP    = "xmp-location-Tahrir-Square"
)

func app(marker byte, payload string) []byte {
	s := []byte{0xFF, marker}
	s = binary.BigEndian.AppendUint16(s, uint16(len(payload)+2))
	return append(s, payload...)
}

// exifPhoto is a w×h JPEG with EXIF (orientation 6, artist, serial number
// and GPS latitude, all in IFD0 for brevity), XMP and IPTC segments.
func exifPhoto(t *testing.T, w, h int) []byte {
	t.Helper()
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range m.Pix {
		m.Pix[i] = uint8(i * 7)
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, m, nil); err != nil {
		t.Fatal(err)
	}
	be := binary.BigEndian
	tiff := []byte("MM\x00\x2a\x00\x00\x00\x08")
	entries := []struct {
		tag, typ uint16
		data     []byte
	}{
		{0x0112, 3, []byte{0, 6}},
		{0x013B, 2, []byte(secretArtist + "\x00")},
		{0x0002, 5, be.AppendUint32(be.AppendUint32(nil, 33), 1)}, // GPSLatitude, here in IFD0
		{0xA431, 2, []byte(secretSerial + "\x00")},
	}
	tiff = be.AppendUint16(tiff, uint16(len(entries)))
	extra, at := []byte{}, 8+2+12*len(entries)+4
	for _, e := range entries {
		tiff = be.AppendUint16(tiff, e.tag)
		tiff = be.AppendUint16(tiff, e.typ)
		n := uint32(len(e.data))
		if e.typ != 2 { // one SHORT, one RATIONAL
			n = 1
		}
		tiff = be.AppendUint32(tiff, n)
		if len(e.data) <= 4 {
			tiff = append(tiff, append(e.data, make([]byte, 4-len(e.data))...)...)
			continue
		}
		tiff = be.AppendUint32(tiff, uint32(at+len(extra)))
		extra = append(extra, e.data...)
	}
	tiff = append(be.AppendUint32(tiff, 0), extra...)
	src := buf.Bytes()
	out := append([]byte{}, src[:2]...)
	out = append(out, app(0xE1, "Exif\x00\x00"+string(tiff))...)
	out = append(out, app(0xE1, "http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta>"+secretXMP+"</x:xmpmeta>")...)
	out = append(out, app(0xED, "Photoshop 3.0\x008BIM\x04\x04\x00\x00\x00\x00\x00\x08\x1c\x02\x50\x00\x03abc")...)
	return append(out, src[2:]...)
}

func newMediaNode(t *testing.T, dbURL string) (*federation.Service, *storage.Store, string) {
	t.Helper()
	dir := t.TempDir()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	store := storagetest.Open(t, dbURL)
	fed := federation.New(federation.Config{Scheme: "https", Host: "node.example", Logger: quiet, MediaDir: dir}, store)
	if _, err := fed.CreateActor(context.Background(), federation.NewActor{Username: "icssi", DisplayName: "ICSSI"}); err != nil {
		t.Fatal(err)
	}
	return fed, store, dir
}

func draftWith(files ...string) *content.Draft {
	d := &content.Draft{Title: "Oslo", Language: "en", Body: "In Oslo."}
	for _, f := range files {
		d.Images = append(d.Images, content.Image{File: f, Alt: "People demonstrating in Oslo"})
	}
	return d
}

func TestPublishedImagesAreReencoded(t *testing.T) {
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			fed, store, mediaDir := newMediaNode(t, b.URL)
			src := exifPhoto(t, 300, 200)
			file := filepath.Join(t.TempDir(), "oslo.jpg")
			if err := os.WriteFile(file, src, 0o600); err != nil {
				t.Fatal(err)
			}
			st, err := fed.Publish(ctx, "icssi", draftWith(file))
			if err != nil {
				t.Fatal(err)
			}
			if len(st.Media) != 1 {
				t.Fatalf("media: %+v", st.Media)
			}
			m := st.Media[0]
			published, err := os.ReadFile(filepath.Join(mediaDir, m.Path))
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range []string{secretArtist, secretSerial, secretXMP, "Exif", "Photoshop 3.0", "8BIM", "ns.adobe.com"} {
				if bytes.Contains(published, []byte(s)) {
					t.Errorf("the published file still contains %q", s)
				}
			}
			// Orientation 6: the 300×200 sensor image is shown 200×300.
			cfg, err := jpeg.DecodeConfig(bytes.NewReader(published))
			if err != nil || cfg.Width != 200 || cfg.Height != 300 {
				t.Fatalf("published %v×%v (%v), want 200×300", cfg.Width, cfg.Height, err)
			}
			if m.Width != 200 || m.Height != 300 || len(m.Blurhash) < 20 || m.MediaType != "image/jpeg" {
				t.Fatalf("media row %+v", m)
			}

			// The row as stored, and as federated.
			stored, err := store.StatementByID(ctx, st.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got := stored.Media[0]; got.Blurhash != m.Blurhash || got.Width != 200 || got.Height != 300 {
				t.Fatalf("stored media %+v", got)
			}
			a, err := store.ActorByUsername(ctx, "icssi")
			if err != nil {
				t.Fatal(err)
			}
			doc, err := fed.StatementDocument(stored, a, 0)
			if err != nil {
				t.Fatal(err)
			}
			var o struct {
				Context    []any          `json:"@context"`
				Attachment map[string]any `json:"attachment"`
			}
			if err := json.Unmarshal(doc, &o); err != nil {
				t.Fatal(err)
			}
			att := o.Attachment
			if att["type"] != "Image" || att["blurhash"] != m.Blurhash || att["width"] != 200.0 || att["height"] != 300.0 {
				t.Fatalf("attachment %v", att)
			}
			if !strings.Contains(string(doc), `"blurhash":"toot:blurhash"`) {
				t.Errorf("@context does not define blurhash: %v", o.Context)
			}
		})
	}
}

func TestImagePathsMustBeRegularFiles(t *testing.T) {
	ctx := context.Background()
	fed, store, mediaDir := newMediaNode(t, storagetest.SQLiteURL(t))
	dir := t.TempDir()
	fifo := filepath.Join(dir, "photo.jpg")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/dev/zero", fifo, dir} {
		done := make(chan error, 1)
		go func() {
			_, err := fed.Publish(ctx, "icssi", draftWith(path))
			done <- err
		}()
		select {
		case err := <-done:
			if !errors.Is(err, federation.ErrInvalid) || !strings.Contains(err.Error(), "regular file") {
				t.Errorf("image %s: %v, want an invalid-input error about a regular file", path, err)
			}
		case <-time.After(3 * time.Second):
			t.Fatalf("image %s: publishing still reads it after 3s", path)
		}
	}
	// Avatars and headers go through the same reader.
	done := make(chan error, 1)
	go func() {
		_, err := fed.UpdateProfile(ctx, "icssi", federation.ProfileUpdate{AvatarFile: "/dev/zero"})
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, federation.ErrInvalid) {
			t.Errorf("avatar /dev/zero: %v", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("avatar /dev/zero: still reading after 3s")
	}
	if entries, _ := os.ReadDir(mediaDir); len(entries) != 0 {
		t.Errorf("refused images left files: %v", entries)
	}
	if list, err := store.ListStatements(ctx, storage.StatementQuery{}); err == nil && len(list) != 0 {
		t.Errorf("refused statements were stored: %d", len(list))
	}
}
