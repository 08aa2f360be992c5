// Package pricing is the built-in price catalogue: prices of well-known
// upstream models, dated, embedded in the binary, used for a model whose
// operator declared no price of its own. The figures and where they come
// from are in catalogue.json; an operator's price always wins.
package pricing

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"sync"
)

//go:embed catalogue.json
var catalogueJSON []byte

// Price is what one model costs, in USD.
type Price struct {
	InputPerMTok       float64 `json:"input_per_mtok"`
	OutputPerMTok      float64 `json:"output_per_mtok"`
	CachedInputPerMTok float64 `json:"cached_input_per_mtok,omitempty"`
	CacheWritePerMTok  float64 `json:"cache_write_per_mtok,omitempty"`
	PerImage           float64 `json:"per_image,omitempty"`
	PerVideoSecond     float64 `json:"per_video_second,omitempty"`
}

// Entry is one catalogue model with where its figures come from.
type Entry struct {
	Name     string   `json:"name"`
	Aliases  []string `json:"aliases,omitempty"`
	Provider string   `json:"provider"`
	Source   string   `json:"source"`
	Price
}

// Catalogue is a dated set of prices.
type Catalogue struct {
	// Date is when the figures were read from the providers' pages
	// (YYYY-MM-DD); it is shown next to every price taken from here.
	Date    string
	entries []Entry
	byName  map[string]*Entry
}

type file struct {
	Date      string `json:"date"`
	Providers []struct {
		Provider string  `json:"provider"`
		Source   string  `json:"source"`
		Models   []Entry `json:"models"`
	} `json:"providers"`
}

// Parse reads a catalogue in the embedded file's format. Names must be
// unique across models and aliases, prices must not be negative, and every
// model needs a token price: a wrong file is refused, never half used.
func Parse(b []byte) (*Catalogue, error) {
	var f file
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("price catalogue: %w", err)
	}
	if f.Date == "" {
		return nil, fmt.Errorf("price catalogue: no date")
	}
	c := &Catalogue{Date: f.Date, byName: map[string]*Entry{}}
	for _, p := range f.Providers {
		if p.Source == "" {
			return nil, fmt.Errorf("price catalogue: provider %q names no source", p.Provider)
		}
		for _, e := range p.Models {
			e.Provider, e.Source = p.Provider, p.Source
			if e.Name == "" {
				return nil, fmt.Errorf("price catalogue: a %s model has no name", p.Provider)
			}
			pr := e.Price
			if pr.InputPerMTok < 0 || pr.OutputPerMTok < 0 || pr.CachedInputPerMTok < 0 || pr.CacheWritePerMTok < 0 ||
				pr.PerImage < 0 || pr.PerVideoSecond < 0 {
				return nil, fmt.Errorf("price catalogue: %s has a negative price", e.Name)
			}
			if pr.InputPerMTok == 0 && pr.OutputPerMTok == 0 && pr.PerImage == 0 && pr.PerVideoSecond == 0 {
				return nil, fmt.Errorf("price catalogue: %s has no price", e.Name)
			}
			c.entries = append(c.entries, e)
		}
	}
	for i := range c.entries {
		e := &c.entries[i]
		for _, n := range append([]string{e.Name}, e.Aliases...) {
			if _, dup := c.byName[n]; dup {
				return nil, fmt.Errorf("price catalogue: %s is listed twice", n)
			}
			c.byName[n] = e
		}
	}
	return c, nil
}

// Builtin returns the catalogue embedded in the binary.
var Builtin = sync.OnceValue(func() *Catalogue {
	c, err := Parse(catalogueJSON)
	if err != nil {
		// The embedded file is checked by this package's tests; a broken one
		// must not ship.
		panic(err)
	}
	return c
})

// Lookup returns the catalogue entry for a model name or one of its
// aliases. Names match exactly: a near name is a different model with a
// possibly different price, so it is not guessed.
func (c *Catalogue) Lookup(name string) (Entry, bool) {
	if c == nil {
		return Entry{}, false
	}
	e, ok := c.byName[name]
	if !ok {
		return Entry{}, false
	}
	return *e, true
}

// Entries returns every catalogue model, in file order.
func (c *Catalogue) Entries() []Entry { return append([]Entry(nil), c.entries...) }
