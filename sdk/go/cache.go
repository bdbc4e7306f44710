package canary

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// Bootstrap and the last known state on disk (SPEC.md §10). A cache entry is
// {"mode":"rules","snapshot":Snapshot}, the Node SDK's format; a bare Snapshot is read too.

type cacheEntry struct {
	Mode     string    `json:"mode"`
	Snapshot *Snapshot `json:"snapshot"`
}

// parseStateFile reads a cache entry or a bare Snapshot.
func parseStateFile(data []byte) (*Snapshot, error) {
	var entry cacheEntry
	if err := json.Unmarshal(data, &entry); err == nil && entry.Mode == "rules" && entry.Snapshot != nil {
		return entry.Snapshot, nil
	}
	var snap Snapshot
	if err := json.Unmarshal(data, &snap); err != nil {
		return nil, err
	}
	if snap.Flags == nil || snap.Segments == nil {
		return nil, errors.New("neither a snapshot nor a cache entry")
	}
	return &snap, nil
}

// loadInitialState answers from the bootstrap, and from the cache when it is newer. A bad
// bootstrap file is an error for New; a bad cache is logged and ignored.
func (c *Client) loadInitialState() error {
	var best *Snapshot
	if c.cfg.Bootstrap != nil {
		best = c.cfg.Bootstrap
	}
	if c.cfg.BootstrapFile != "" {
		data, err := os.ReadFile(c.cfg.BootstrapFile)
		if err != nil {
			return fmt.Errorf("canary: Config.BootstrapFile: %w", err)
		}
		snap, err := parseStateFile(data)
		if err != nil {
			return fmt.Errorf("canary: Config.BootstrapFile %s: %w", c.cfg.BootstrapFile, err)
		}
		if best == nil || snap.Version > best.Version {
			best = snap
		}
	}
	if c.cfg.CacheFile != "" {
		data, err := os.ReadFile(c.cfg.CacheFile)
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			c.cfg.Logger.Warn("canary: cannot read the cache file", "file", c.cfg.CacheFile, "error", err)
		default:
			if snap, err := parseStateFile(data); err != nil {
				c.cfg.Logger.Warn("canary: ignoring a broken cache file", "file", c.cfg.CacheFile, "error", err)
			} else if best == nil || snap.Version > best.Version {
				best = snap
			}
		}
	}
	if best != nil {
		c.state.Store(stateFromSnapshot(best, c.counters.of))
		c.status = StatusStale
		c.markReady()
	}
	return nil
}

// cacheLoop writes the held state after changes, at most every half second, and once on close.
func (c *Client) cacheLoop() {
	defer close(c.cacheDone)
	if c.cfg.CacheFile == "" {
		<-c.ctx.Done()
		return
	}
	written := int64(-1)
	write := func() {
		s := c.state.Load()
		if s == nil || s.version == written {
			return
		}
		if err := writeCache(c.cfg.CacheFile, s.snapshot()); err != nil {
			c.cfg.Logger.Warn("canary: cannot write the cache file", "file", c.cfg.CacheFile, "error", err)
			return
		}
		written = s.version
	}
	for {
		select {
		case <-c.cacheCh:
			t := time.NewTimer(500 * time.Millisecond)
			select {
			case <-t.C:
			case <-c.ctx.Done():
				t.Stop()
			}
			write()
		case <-c.ctx.Done():
			write()
			return
		}
	}
}

// writeCache writes atomically: a temporary file in the same directory renamed over the target.
func writeCache(path string, snap *Snapshot) error {
	data, err := json.Marshal(cacheEntry{Mode: "rules", Snapshot: snap})
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
