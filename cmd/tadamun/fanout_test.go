package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/storage/storagetest"
)

// TestKillDuringFanOut: the node is killed with SIGKILL while it delivers a
// statement to many inboxes; after a restart every inbox still gets it.
func TestKillDuringFanOut(t *testing.T) {
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) { testKillDuringFanOut(t, b.URL) })
	}
}

func testKillDuringFanOut(t *testing.T, dbURL string) {
	const inboxes = 40
	var mu sync.Mutex
	got := map[int]int{} // inbox number -> Creates received
	var servers []*httptest.Server
	for i := 0; i < inboxes; i++ {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			time.Sleep(100 * time.Millisecond) // a slow peer keeps the fan-out in flight
			if strings.Contains(string(body), `"type":"Create"`) && r.Header.Get("Signature") != "" {
				mu.Lock()
				got[i]++
				mu.Unlock()
			}
			w.WriteHeader(http.StatusAccepted)
		}))
		servers = append(servers, srv)
		defer srv.Close()
	}
	dir := t.TempDir()
	addr := freeAddr(t)
	env := cleanEnv("TADAMUN_DATABASE="+dbURL, "TADAMUN_DOMAIN="+addr, "TADAMUN_INSECURE_HTTP=true",
		"TADAMUN_ALLOW_PRIVATE_ADDRESSES=true", "TADAMUN_DELIVERY_WORKERS=2", "TADAMUN_DELIVERY_LEASE=3s")
	tadamun(t, dir, env, "actor", "create", "icssi", "--name", "ICSSI").must(t)

	// Followers, one per inbox, written straight into the node's database.
	st := storagetest.Open(t, dbURL)
	ctx := context.Background()
	actor, err := st.ActorByUsername(ctx, "icssi")
	if err != nil {
		t.Fatal(err)
	}
	for i, srv := range servers {
		r := &storage.RemoteActor{IRI: fmt.Sprintf("%s/users/f%d", srv.URL, i), Host: strings.TrimPrefix(srv.URL, "http://"),
			Username: fmt.Sprintf("f%d", i), Inbox: srv.URL + "/inbox", PublicKeyPEM: "x", ExpiresAt: time.Now().Add(time.Hour)}
		if err := st.UpsertRemoteActor(ctx, r); err != nil {
			t.Fatal(err)
		}
		if err := st.PutFollower(ctx, actor.ID, r.ID, r.IRI+"/follow", storage.FollowAccepted); err != nil {
			t.Fatal(err)
		}
	}

	s := startServe(t, dir, env, "--listen", addr)
	tadamun(t, dir, env, "publish", "--actor", "icssi", seedFile(t)).must(t)
	received := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(got)
	}
	eventually(t, "the fan-out is under way", func() bool { return received() >= 2 })
	s.signal(t, syscall.SIGKILL)
	at := received()
	if at >= inboxes {
		t.Fatalf("the fan-out finished before the kill (%d inboxes); make the peers slower", at)
	}
	t.Logf("killed after %d of %d inboxes", at, inboxes)

	startServe(t, dir, env, "--listen", addr)
	deadline := time.Now().Add(60 * time.Second)
	for received() < inboxes && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	dups := 0
	for i := 0; i < inboxes; i++ {
		if got[i] == 0 {
			t.Errorf("inbox %d never received the Create", i)
		}
		dups += got[i] - 1
	}
	t.Logf("duplicates (deliveries in flight at the kill, sent again): %d", dups)
}
