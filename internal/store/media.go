package store

import (
	"encoding/json"
	"strings"
)

// MediaPrices refine a model's PerImage and PerVideoSecond prices (USD).
type MediaPrices struct {
	// Images prices one image by "SIZE/QUALITY", "SIZE" or "QUALITY"
	// ("1024x1536/high", "1024x1024", "low"), the most specific first;
	// PerImage when none matches.
	Images map[string]float64 `json:"images,omitempty"`
	// VideoSeconds prices one second of video by size ("1280x720");
	// PerVideoSecond when none matches.
	VideoSeconds map[string]float64 `json:"video_seconds,omitempty"`
}

// Text is the stored form ("" when empty).
func (p MediaPrices) Text() string {
	if len(p.Images) == 0 && len(p.VideoSeconds) == 0 {
		return ""
	}
	b, _ := json.Marshal(p)
	return string(b)
}

// ParseMediaPrices reads the stored form; "" or anything unreadable is no
// refinement.
func ParseMediaPrices(s string) MediaPrices {
	var p MediaPrices
	if s != "" {
		_ = json.Unmarshal([]byte(s), &p)
	}
	return p
}

// BillsImagesPerImage reports whether the model bills images per image;
// otherwise images are billed by the tokens the upstream reports.
func (m *Model) BillsImagesPerImage() bool { return m.PerImage > 0 || len(m.Media.Images) > 0 }

// ImagePrice is the price of one image of size and quality. "auto" or ""
// (the upstream chooses) takes the highest price that could apply, so a
// reservation is never too small.
func (m *Model) ImagePrice(size, quality string) float64 {
	size, quality = strings.ToLower(size), strings.ToLower(quality)
	anySize, anyQuality := size == "" || size == "auto", quality == "" || quality == "auto"
	if anySize || anyQuality {
		best := m.PerImage
		for k, v := range m.Media.Images {
			ks, kq, both := strings.Cut(k, "/")
			ok := false
			switch {
			case both:
				ok = (anySize || ks == size) && (anyQuality || kq == quality)
			case isSize(k):
				ok = anySize || k == size
			default:
				ok = anyQuality || k == quality
			}
			if ok && v > best {
				best = v
			}
		}
		return best
	}
	for _, k := range [...]string{size + "/" + quality, size, quality} {
		if v, ok := m.Media.Images[k]; ok {
			return v
		}
	}
	return m.PerImage
}

// VideoSecondPrice is the price of one second of video of size; "" takes
// the highest price that could apply.
func (m *Model) VideoSecondPrice(size string) float64 {
	if v, ok := m.Media.VideoSeconds[strings.ToLower(size)]; ok {
		return v
	}
	if size == "" {
		best := m.PerVideoSecond
		for _, v := range m.Media.VideoSeconds {
			best = max(best, v)
		}
		return best
	}
	return m.PerVideoSecond
}

func isSize(s string) bool {
	w, h, ok := strings.Cut(s, "x")
	return ok && w != "" && h != "" && strings.Trim(w+h, "0123456789") == ""
}
