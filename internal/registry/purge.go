package registry

import (
	"context"
	"errors"
	"time"

	"github.com/berth-registry/berth/internal/meta"
)

// PurgeUploads removes upload sessions idle for longer than the expiry, and upload data
// that no session owns (left by a crash mid-request) once it is as old. Idle means
// neither the session nor its data changed since the cutoff, so a long streamed chunk
// still being written is never cut off. It returns how many it removed.
func (r *Registry) PurgeUploads(ctx context.Context) (int, error) {
	cutoff := r.now().Add(-r.cfg.UploadExpiry)
	data, err := r.blobs.Uploads().List(ctx)
	if err != nil {
		return 0, err
	}
	modified := make(map[string]time.Time, len(data))
	for _, d := range data {
		modified[d.ID] = time.Unix(0, d.ModTime)
	}
	removed := 0
	ids, err := r.meta.ExpiredUploads(ctx, cutoff, 10000)
	if err != nil {
		return 0, err
	}
	for _, id := range ids {
		if m, ok := modified[id]; ok && m.After(cutoff) {
			continue
		}
		if err := r.meta.DeleteUpload(ctx, id); err != nil && !errors.Is(err, meta.ErrNotFound) {
			return removed, err
		}
		if err := r.blobs.Uploads().Abort(ctx, id); err != nil {
			return removed, err
		}
		delete(modified, id)
		removed++
	}
	for id, m := range modified {
		if m.After(cutoff) {
			continue
		}
		exists, err := r.meta.UploadExists(ctx, id)
		if err != nil {
			return removed, err
		}
		if exists {
			continue // a live session; its row decides
		}
		if err := r.blobs.Uploads().Abort(ctx, id); err != nil {
			return removed, err
		}
		removed++
	}
	return removed, nil
}

// uploadPurgeLease is the lease a process holds to purge uploads: of the replicas that
// share a metadata store, one purges.
const uploadPurgeLease = "upload-purge"

// PurgeUploadsIfHolder purges expired uploads if this process holds the upload purge
// lease or can take it, for ttl; held says whether it did.
func (r *Registry) PurgeUploadsIfHolder(ctx context.Context, ttl time.Duration) (held bool, n int, err error) {
	held, err = r.meta.AcquireLease(ctx, uploadPurgeLease, r.holder, ttl)
	if err != nil || !held {
		return false, 0, err
	}
	n, err = r.PurgeUploads(ctx)
	return true, n, err
}

// RunUploadPurger purges expired uploads every interval until ctx ends, while it holds
// the upload purge lease. The lease lasts two intervals and each pass renews it, so the
// holder keeps it and the others skip their passes; if the holder dies, another
// replica takes over within two intervals. It releases the lease when ctx ends.
func (r *Registry) RunUploadPurger(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	defer func() {
		end, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := r.meta.ReleaseLease(end, uploadPurgeLease, r.holder); err != nil {
			r.log.Warn("release the upload purge lease", "err", err)
		}
	}()
	holding := false
	for {
		held, n, err := r.PurgeUploadsIfHolder(ctx, 2*interval)
		if err != nil && ctx.Err() == nil {
			r.log.Error("purge expired uploads", "err", err)
		} else if n > 0 {
			r.log.Info("purged expired uploads", "count", n)
		}
		// Which replica runs the job is worth a line when it changes, not every pass.
		if err == nil && held != holding {
			holding = held
			if held {
				r.log.Info("this replica now purges expired uploads", "lease", uploadPurgeLease, "holder", r.holder)
			} else {
				r.log.Info("another replica purges expired uploads now", "lease", uploadPurgeLease)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
