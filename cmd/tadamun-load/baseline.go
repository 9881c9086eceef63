package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// stored is one answer of the node, kept to be served again from memory.
type stored struct {
	status int
	header http.Header
	body   []byte
}

// hopHeaders are not the answer's own but its connection's, or set by the
// memory server itself (Date; Content-Length from the body).
var hopHeaders = []string{"Connection", "Keep-Alive", "Transfer-Encoding", "Trailer", "Upgrade", "Proxy-Connection", "Date", "Content-Length"}

// fetchOnce GETs addr once with hdr and keeps the answer as it came: the
// body still compressed when the node compressed it.
func fetchOnce(ctx context.Context, client *http.Client, addr string, hdr headerFlag) (*stored, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, addr, nil)
	if err != nil {
		return nil, fmt.Errorf("baseline: %s: %w", addr, err)
	}
	hdr.apply(req)
	res, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("baseline: %w", err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, fmt.Errorf("baseline: GET %s: %w", addr, err)
	}
	if !goodStatus(res.StatusCode) {
		return nil, fmt.Errorf("baseline: GET %s answered %s; only a 2xx or 304 answer can be the baseline", addr, res.Status)
	}
	h := res.Header.Clone()
	for _, k := range hopHeaders {
		h.Del(k)
	}
	return &stored{status: res.StatusCode, header: h, body: body}, nil
}

// encoding names the stored body's Content-Encoding, "identity" if none.
func (s *stored) encoding() string {
	if e := s.header.Get("Content-Encoding"); e != "" {
		return e
	}
	return "identity"
}

// memoryServer answers /N with the Nth stored answer: its status, headers
// and bytes, from memory, with nothing else done. It listens on loopback,
// over TLS when given a certificate (for https targets, so that both sides
// pay for encryption), and speaks HTTP/1.1 only, as the client does.
type memoryServer struct {
	srv  *http.Server
	base string

	mu      sync.RWMutex
	answers []*stored
}

// startMemory starts a memory server, plain HTTP when cert is nil.
func startMemory(cert *tls.Certificate) (*memoryServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("baseline: listen: %w", err)
	}
	m := &memoryServer{base: "http://" + ln.Addr().String()}
	if cert != nil {
		m.base = "https://" + ln.Addr().String()
		ln = tls.NewListener(ln, &tls.Config{
			Certificates: []tls.Certificate{*cert},
			MinVersion:   tls.VersionTLS12,
			NextProtos:   []string{"http/1.1"},
		})
	}
	m.srv = &http.Server{Handler: http.HandlerFunc(m.serve), ReadHeaderTimeout: 10 * time.Second}
	go m.srv.Serve(ln)
	return m, nil
}

// add keeps an answer and gives the address it is served at.
func (m *memoryServer) add(s *stored) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.answers = append(m.answers, s)
	return m.base + "/" + strconv.Itoa(len(m.answers)-1)
}

func (m *memoryServer) serve(w http.ResponseWriter, r *http.Request) {
	i, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/"))
	m.mu.RLock()
	var s *stored
	if err == nil && i >= 0 && i < len(m.answers) {
		s = m.answers[i]
	}
	m.mu.RUnlock()
	if s == nil {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	for k, v := range s.header {
		h[k] = v
	}
	if s.status != http.StatusNoContent && s.status != http.StatusNotModified {
		h["Content-Length"] = []string{strconv.Itoa(len(s.body))}
	}
	w.WriteHeader(s.status)
	w.Write(s.body)
}

func (m *memoryServer) close() { m.srv.Close() }
