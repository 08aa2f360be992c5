// Package similar measures how alike two short names are, for "did you
// mean …?" suggestions (model names, error codes, paths).
package similar

// maxLen bounds the work: suggestions are for short names, and a long
// string from a client must not cost quadratic time.
const maxLen = 128

// Distance is the Levenshtein edit distance between a and b (bytes), or a
// very large number when either is longer than maxLen.
func Distance(a, b string) int {
	if len(a) > maxLen || len(b) > maxLen {
		return 1 << 30
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
