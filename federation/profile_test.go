package federation_test

import (
	"bytes"
	"context"
	"encoding/json"
	"image/color"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tadamun/tadamun/federation"
	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/storage/storagetest"
)

// TestUpdateProfileSendsActorUpdate: a profile change that followers see
// queues one Update of the actor, with the whole actor embedded, for each
// follower inbox; a new avatar gets a new address and the old file goes;
// a change nobody sees (the same name again) sends nothing.
func TestUpdateProfileSendsActorUpdate(t *testing.T) {
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			fed, store, mediaDir := newMediaNode(t, b.URL)
			a, err := store.ActorByUsername(ctx, "icssi")
			if err != nil {
				t.Fatal(err)
			}
			r := &storage.RemoteActor{IRI: "https://remote.example/users/r", Host: "remote.example", Type: "Person",
				Username: "r", Inbox: "https://remote.example/users/r/inbox"}
			if err := store.UpsertRemoteActor(ctx, r); err != nil {
				t.Fatal(err)
			}
			if err := store.PutFollower(ctx, a.ID, r.ID, "https://remote.example/f/1", storage.FollowAccepted); err != nil {
				t.Fatal(err)
			}
			pic := filepath.Join(t.TempDir(), "a.png")
			pngFile(t, pic, color.RGBA{200, 10, 10, 255})
			name := "ICSSI network"
			first, err := fed.UpdateProfile(ctx, "icssi", federation.ProfileUpdate{DisplayName: &name, AvatarFile: pic})
			if err != nil {
				t.Fatal(err)
			}
			oldAvatar := first.AvatarPath
			pngFile(t, pic, color.RGBA{10, 200, 10, 255})
			second, err := fed.UpdateProfile(ctx, "icssi", federation.ProfileUpdate{AvatarFile: pic})
			if err != nil {
				t.Fatal(err)
			}
			if second.AvatarPath == oldAvatar {
				t.Fatalf("a new avatar kept the address %s", oldAvatar)
			}
			if _, err := os.Stat(filepath.Join(mediaDir, oldAvatar)); !os.IsNotExist(err) {
				t.Errorf("the old avatar file is still there: %v", err)
			}
			if _, err := fed.UpdateProfile(ctx, "icssi", federation.ProfileUpdate{DisplayName: &name}); err != nil {
				t.Fatal(err)
			}
			actor := fed.IRI().Actor("icssi")
			if n := storagetest.Count(t, b.URL, `SELECT COUNT(*) FROM activities WHERE activity_type = 'Update' AND object_iri = $1`, actor); n != 2 {
				t.Fatalf("%d Update activities, want 2 (none for the unchanged save)", n)
			}
			if n := storagetest.Count(t, b.URL, `SELECT COUNT(*) FROM deliveries d JOIN activities x ON x.id = d.activity_id
				WHERE x.activity_type = 'Update' AND d.inbox = $1`, r.Inbox); n != 2 {
				t.Fatalf("%d deliveries to the follower, want 2", n)
			}
			// Deliveries are claimed one per host at a time: the one
			// claimed is either Update, compared with its actor's document.
			claimed, err := store.ClaimDeliveries(ctx, "test", time.Minute, 10, nil)
			if err != nil || len(claimed) != 1 {
				t.Fatalf("claimed %d deliveries, %v", len(claimed), err)
			}
			act := claimed[0]
			sent := first
			if bytes.Contains(act.Body, []byte(second.AvatarPath)) {
				sent = second
			}
			doc, err := fed.ActorDocument(sent)
			if err != nil {
				t.Fatal(err)
			}
			var want map[string]any
			if err := json.Unmarshal(doc, &want); err != nil {
				t.Fatal(err)
			}
			delete(want, "@context")
			var got struct {
				Context any            `json:"@context"`
				Type    string         `json:"type"`
				Actor   string         `json:"actor"`
				To      any            `json:"to"`
				Object  map[string]any `json:"object"`
			}
			if err := json.Unmarshal(act.Body, &got); err != nil {
				t.Fatal(err)
			}
			wantObj, _ := json.Marshal(want)
			gotObj, _ := json.Marshal(got.Object)
			if got.Type != "Update" || got.Actor != actor || got.Context == nil || !bytes.Equal(wantObj, gotObj) {
				t.Fatalf("Update = %s\nwant the object %s", act.Body, wantObj)
			}
		})
	}
}
