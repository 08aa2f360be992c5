package httpapi

import (
	"sort"
	"strconv"
	"strings"
)

// suggest returns up to n catalogue names close to name: prefix matches and
// small edit distances, closest first.
func suggest(name string, names []string, n int) []string {
	type cand struct {
		s string
		d int
	}
	lname := strings.ToLower(name)
	var cs []cand
	for _, c := range names {
		lc := strings.ToLower(c)
		d := editDistance(lname, lc)
		switch {
		case lc == lname:
			d = 0
		case strings.HasPrefix(lc, lname) || strings.HasPrefix(lname, lc):
			d = min(d, 1)
		}
		if d <= max(2, len(name)/4) {
			cs = append(cs, cand{c, d})
		}
	}
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].d < cs[j].d })
	var out []string
	for i := 0; i < len(cs) && i < n; i++ {
		out = append(out, cs[i].s)
	}
	return out
}

func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 1 << 20
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func quoteList(s []string) string {
	q := make([]string, len(s))
	for i, v := range s {
		q[i] = strconv.Quote(v)
	}
	return strings.Join(q, " or ")
}
