package config

import (
	"fmt"
	"strings"
	"time"
)

// ParseRetention reads KEYGATE_LOG_RETENTION: days ("90d"), a Go duration
// ("2160h"), or "0" to keep raw request logs forever. Less than a day is
// refused: retention works in whole UTC days.
func ParseRetention(v string) (time.Duration, error) {
	v = strings.TrimSpace(v)
	if v == "0" || v == "forever" {
		return 0, nil
	}
	var d time.Duration
	if n, ok := strings.CutSuffix(v, "d"); ok {
		h, err := time.ParseDuration(n + "h")
		if err != nil || strings.ContainsAny(n, "hms") {
			return 0, fmt.Errorf("KEYGATE_LOG_RETENTION=%q: want days such as 90d, a duration such as 2160h, or 0 to keep logs forever", v)
		}
		d = 24 * h
	} else {
		var err error
		if d, err = time.ParseDuration(v); err != nil {
			return 0, fmt.Errorf("KEYGATE_LOG_RETENTION=%q: want days such as 90d, a duration such as 2160h, or 0 to keep logs forever", v)
		}
	}
	if d < 24*time.Hour {
		return 0, fmt.Errorf("KEYGATE_LOG_RETENTION=%q is under a day; request logs are kept in whole days (use 1d or more, or 0 for forever)", v)
	}
	return d, nil
}
