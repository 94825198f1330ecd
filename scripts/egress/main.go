// Command egress is the only way out of the network namespace that
// scripts/fresh-machine.sh runs the README's commands in. It has three modes:
//
//	egress -listen SOCKET -allow HOST:PORT,...   (on the host)
//
// serves an HTTP proxy on a Unix socket: CONNECT tunnels and plain-HTTP
// requests reach only the listed host:port pairs (the package mirror, the Go
// module proxy and the npm registry); everything else gets 403. Each decision is logged.
//
//	egress -bridge ADDR -to SOCKET               (inside the namespace)
//
// listens on ADDR (a loopback address of the namespace) and joins every
// connection to SOCKET, so the namespace needs no network interface but its
// loopback: nothing in it can reach any address at all, only ask the proxy.
//
//	egress -probe URL -timeout D
//
// reports whether URL answers 2xx within D (exit status 0), ignoring any
// proxy settings.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"
)

func main() {
	listen := flag.String("listen", "", "Unix socket to serve the proxy on")
	allow := flag.String("allow", "", "comma-separated host:port pairs the proxy may reach")
	bridge := flag.String("bridge", "", "TCP address to listen on and join to -to")
	to := flag.String("to", "", "Unix socket the bridge joins connections to")
	probe := flag.String("probe", "", "URL to request once")
	timeout := flag.Duration("timeout", 5*time.Second, "time the probe waits")
	flag.Parse()
	log.SetFlags(log.Ltime)
	log.SetPrefix("egress: ")

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch {
	case *probe != "":
		err = probeURL(*probe, *timeout)
	case *listen != "":
		err = serveProxy(ctx, *listen, allowed(*allow))
	case *bridge != "" && *to != "":
		err = serveBridge(ctx, *bridge, *to)
	default:
		flag.Usage()
		os.Exit(2)
	}
	if err != nil {
		log.Print(err)
		os.Exit(1)
	}
}

func allowed(list string) map[string]bool {
	m := map[string]bool{}
	for _, hp := range strings.Split(list, ",") {
		if hp = strings.TrimSpace(strings.ToLower(hp)); hp != "" {
			m[hp] = true
		}
	}
	return m
}

// probeURL requests u directly and fails unless it answers 2xx.
func probeURL(u string, timeout time.Duration) error {
	c := &http.Client{Timeout: timeout, Transport: &http.Transport{Proxy: nil}}
	resp, err := c.Get(u)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s: status %d", u, resp.StatusCode)
	}
	return nil
}

// serveProxy serves the allow-listed proxy on a Unix socket until ctx ends.
func serveProxy(ctx context.Context, sock string, allow map[string]bool) error {
	os.Remove(sock)
	ln, err := net.Listen("unix", sock)
	if err != nil {
		return err
	}
	// Only root (who runs the namespace) may use the proxy.
	if err := os.Chmod(sock, 0o600); err != nil {
		return err
	}
	p := &proxy{allow: allow, transport: &http.Transport{Proxy: nil, ResponseHeaderTimeout: time.Minute}}
	srv := &http.Server{Handler: p, ReadHeaderTimeout: 30 * time.Second}
	go func() { <-ctx.Done(); srv.Close() }()
	log.Printf("proxy on %s for %s", sock, strings.Join(keys(allow), ", "))
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

type proxy struct {
	allow     map[string]bool
	transport *http.Transport
	mu        sync.Mutex
	counts    map[string]int
}

// target is the host:port a request asks for, with the scheme's port filled in.
func target(r *http.Request) string {
	host := r.Host
	if r.Method != http.MethodConnect && r.URL.Host != "" {
		host = r.URL.Host
	}
	if _, _, err := net.SplitHostPort(host); err != nil {
		port := "80"
		if r.Method == http.MethodConnect || r.URL.Scheme == "https" {
			port = "443"
		}
		host = net.JoinHostPort(host, port)
	}
	return strings.ToLower(host)
}

func (p *proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hp := target(r)
	if !p.allow[hp] || (r.Method != http.MethodConnect && r.URL.Scheme != "http") {
		log.Printf("denied %s %s", r.Method, hp)
		http.Error(w, "egress: "+hp+" is not an allowed destination", http.StatusForbidden)
		return
	}
	p.mu.Lock()
	if p.counts == nil {
		p.counts = map[string]int{}
	}
	p.counts[hp]++
	if n := p.counts[hp]; n == 1 || n%100 == 0 {
		log.Printf("allowed %s %s (%d so far)", r.Method, hp, n)
	}
	p.mu.Unlock()
	if r.Method == http.MethodConnect {
		p.tunnel(w, r, hp)
		return
	}
	p.forward(w, r)
}

// tunnel joins the client to hp after a 200 Connection Established.
func (p *proxy) tunnel(w http.ResponseWriter, r *http.Request, hp string) {
	up, err := net.DialTimeout("tcp", hp, 15*time.Second)
	if err != nil {
		http.Error(w, "egress: "+err.Error(), http.StatusBadGateway)
		return
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		up.Close()
		http.Error(w, "egress: cannot tunnel", http.StatusInternalServerError)
		return
	}
	conn, buf, err := hj.Hijack()
	if err != nil {
		up.Close()
		return
	}
	if _, err := conn.Write([]byte("HTTP/1.1 200 Connection Established\r\n\r\n")); err != nil {
		conn.Close()
		up.Close()
		return
	}
	join(&bufferedConn{Conn: conn, r: buf.Reader}, up)
}

// forward relays one plain-HTTP request.
func (p *proxy) forward(w http.ResponseWriter, r *http.Request) {
	out := r.Clone(r.Context())
	out.RequestURI = ""
	for _, h := range []string{"Proxy-Connection", "Proxy-Authorization", "Connection", "Keep-Alive", "Te", "Trailer", "Upgrade"} {
		out.Header.Del(h)
	}
	resp, err := p.transport.RoundTrip(out)
	if err != nil {
		http.Error(w, "egress: "+err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	for k, vs := range resp.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	w.WriteHeader(resp.StatusCode)
	io.Copy(w, resp.Body)
}

// bufferedConn reads first what the HTTP server had already buffered.
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *bufferedConn) Read(b []byte) (int, error) { return c.r.Read(b) }

// join copies both ways until either side ends, then closes both.
func join(a, b net.Conn) {
	done := make(chan struct{}, 2)
	cp := func(dst, src net.Conn) {
		io.Copy(dst, src)
		done <- struct{}{}
	}
	go cp(a, b)
	go cp(b, a)
	<-done
	a.Close()
	b.Close()
	<-done
}

// serveBridge joins every connection accepted on addr to the Unix socket.
func serveBridge(ctx context.Context, addr, sock string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	go func() { <-ctx.Done(); ln.Close() }()
	log.Printf("bridge %s -> %s", addr, sock)
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		go func() {
			up, err := net.Dial("unix", sock)
			if err != nil {
				log.Printf("bridge: %v", err)
				c.Close()
				return
			}
			join(c, up)
		}()
	}
}
