package main

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// proc is one CyberCampus process (api, worker or scheduler) that the harness
// starts and supervises like systemd with Restart=always would: an exit the
// harness did not cause is counted and the process is started again.
type proc struct {
	name    string
	bin     string
	env     []string
	logPath string
	health  string // URL answering 200 once the process is up

	mu         sync.Mutex
	cmd        *exec.Cmd
	done       chan struct{}
	expected   bool // the harness killed or stopped it
	stopping   bool // the run is over: no restarts
	unexpected int  // exits the harness did not cause
	starts     int
}

func (p *proc) start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.startLocked()
}

func (p *proc) startLocked() error {
	f, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	cmd := exec.Command(p.bin, p.name)
	cmd.Env = append(os.Environ(), p.env...)
	cmd.Stdout, cmd.Stderr = f, f
	// The children die with the harness, even when it is killed itself.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		f.Close()
		return fmt.Errorf("start %s: %w", p.name, err)
	}
	p.cmd, p.done, p.expected = cmd, make(chan struct{}), false
	p.starts++
	go p.wait(cmd, p.done, f)
	return nil
}

func (p *proc) wait(cmd *exec.Cmd, done chan struct{}, f *os.File) {
	err := cmd.Wait()
	f.Close()
	close(done)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.expected || p.stopping || p.cmd != cmd {
		return
	}
	p.unexpected++
	log.Printf("%s exited on its own (%v); restarting it in 1s", p.name, err)
	time.AfterFunc(time.Second, func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		if !p.stopping && p.cmd == cmd {
			if err := p.startLocked(); err != nil {
				log.Printf("restart %s: %v", p.name, err)
			}
		}
	})
}

// kill9 sends SIGKILL and waits until the process is gone.
func (p *proc) kill9() error {
	p.mu.Lock()
	p.expected = true
	cmd, done := p.cmd, p.done
	p.mu.Unlock()
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		return err
	}
	<-done
	return nil
}

// stop ends the process gracefully (SIGTERM) at the end of the run.
func (p *proc) stop() {
	p.mu.Lock()
	p.stopping, p.expected = true, true
	cmd, done := p.cmd, p.done
	p.mu.Unlock()
	if cmd == nil {
		return
	}
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(25 * time.Second):
		cmd.Process.Signal(syscall.SIGKILL)
		<-done
	}
}

func (p *proc) pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cmd.Process.Pid
}

// waitHealthy polls the process's health URL until it answers 200.
func (p *proc) waitHealthy(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	c := &http.Client{Timeout: time.Second}
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, p.health, nil)
		if resp, err := c.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not healthy after %s", p.name, timeout)
		case <-time.After(50 * time.Millisecond):
		}
	}
}
