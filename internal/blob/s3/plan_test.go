package s3

import (
	"fmt"
	"testing"
)

const mib = 1 << 20

// TestPlanParts checks the rules S3 sets on a multipart upload, and how much passes
// through memory, for uploads made of chunks of these sizes.
func TestPlanParts(t *testing.T) {
	cases := []struct {
		chunks   []int64
		parts    int   // number of parts
		streamed int64 // bytes read through the registry
	}{
		{[]int64{10}, 1, 10},
		{[]int64{8 * mib}, 1, 0},
		{[]int64{8 * mib, 3 * mib, 10 * mib}, 3, 5 * mib},
		{[]int64{1 * mib, 1 * mib, 1 * mib}, 1, 3 * mib},
		{[]int64{1 * mib, 1 * mib, 1 * mib, 1 * mib, 1 * mib, 1 * mib, 8 * mib}, 3, 10 * mib},
		{[]int64{1 * mib, 1 * mib, 1 * mib, 1 * mib, 1 * mib, 1 * mib, 8 * mib, 1}, 3, 14*mib + 1},
		{[]int64{4 * mib, 7 * mib}, 2, 5 * mib},
		{[]int64{4 * mib, 6 * mib, 6 * mib}, 3, 5 * mib},
		{[]int64{6 * mib, 1, 6 * mib, 1}, 3, 6*mib + 2},
		{[]int64{12 << 30}, 3, 0},
		{[]int64{1 * mib, 11 << 30}, 4, 5 * mib},
		{[]int64{5 * mib, 5 * mib, 5 * mib, 2}, 4, 2},
	}
	for _, c := range cases {
		t.Run(fmt.Sprint(c.chunks), func(t *testing.T) {
			var segs []segment
			var total int64
			for i, n := range c.chunks {
				segs = append(segs, segment{key: fmt.Sprint(i), start: 0, end: n, objSize: n})
				total += n
			}
			parts := planParts(segs)
			if len(parts) != c.parts {
				t.Errorf("%d parts, want %d: %+v", len(parts), c.parts, parts)
			}
			// The parts cover every byte once, in order.
			next, seg := int64(0), 0
			var streamed int64
			for i, p := range parts {
				if i < len(parts)-1 && p.size < minPartSize {
					t.Errorf("part %d of %d holds %d bytes, under S3's minimum", i+1, len(parts), p.size)
				}
				if p.copy && (len(p.segs) != 1 || p.size > maxCopySize) {
					t.Errorf("copied part %d: %+v", i+1, p)
				}
				if !p.copy {
					streamed += p.size
					if p.size >= 2*minPartSize {
						t.Errorf("streamed part %d holds %d bytes, want under %d", i+1, p.size, 2*minPartSize)
					}
				}
				var sum int64
				for _, g := range p.segs {
					for g.key != fmt.Sprint(seg) || g.start != next {
						if next != segs[seg].end {
							t.Fatalf("part %d: segment %+v, want chunk %d from %d", i+1, g, seg, next)
						}
						seg, next = seg+1, 0
					}
					next = g.end
					sum += g.len()
				}
				if sum != p.size {
					t.Errorf("part %d: size %d, segments sum to %d", i+1, p.size, sum)
				}
			}
			if seg != len(segs)-1 || next != segs[seg].end {
				t.Errorf("the parts end at chunk %d byte %d, want the end of chunk %d", seg, next, len(segs)-1)
			}
			if streamed != c.streamed {
				t.Errorf("%d bytes streamed, want %d", streamed, c.streamed)
			}
		})
	}
}
