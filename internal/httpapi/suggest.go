package httpapi

import (
	"sort"
	"strconv"
	"strings"

	"github.com/keygate/keygate/internal/similar"
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
		d := similar.Distance(lname, lc)
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

func quoteList(s []string) string {
	q := make([]string, len(s))
	for i, v := range s {
		q[i] = strconv.Quote(v)
	}
	return strings.Join(q, " or ")
}
