package logwriter

import (
	"encoding/json"
	"math"
	"strconv"
	"time"

	"github.com/keygate/keygate/internal/provider"
	"github.com/keygate/keygate/internal/store"
)

// appendRow appends r as one JSON line in the shape encoding/json gives a
// store.RequestLog (field names as keys), which is what readSegment decodes
// at replay. Written by hand because reflection over the row's fields was
// most of the spool's cost on every call. ok is false for a row JSON
// cannot carry (a NaN or infinite number), which then goes unspooled as an
// encoding error did before.
func appendRow(dst []byte, r *store.RequestLog) (out []byte, ok bool) {
	for _, f := range []float64{r.CostUSD, r.LatencyMS, r.TTFBMS} {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return dst, false
		}
	}
	str := func(key, v string) {
		dst = append(dst, ',', '"')
		dst = append(dst, key...)
		dst = append(dst, '"', ':')
		dst = provider.AppendString(dst, v)
	}
	num := func(key string, v int) {
		dst = append(dst, ',', '"')
		dst = append(dst, key...)
		dst = append(dst, '"', ':')
		dst = strconv.AppendInt(dst, int64(v), 10)
	}
	flt := func(key string, v float64) {
		dst = append(dst, ',', '"')
		dst = append(dst, key...)
		dst = append(dst, '"', ':')
		dst = strconv.AppendFloat(dst, v, 'g', -1, 64)
	}
	boolean := func(key string, v bool) {
		dst = append(dst, ',', '"')
		dst = append(dst, key...)
		dst = append(dst, '"', ':')
		dst = strconv.AppendBool(dst, v)
	}
	dst = append(dst, `{"RequestID":`...)
	dst = provider.AppendString(dst, r.RequestID)
	dst = append(dst, `,"Time":"`...)
	dst = r.Time.AppendFormat(dst, time.RFC3339Nano)
	dst = append(dst, '"')
	str("KeyID", r.KeyID)
	str("KeyDisplay", r.KeyDisplay)
	str("KeyEnv", r.KeyEnv)
	str("Project", r.Project)
	str("Member", r.Member)
	str("Group", r.Group)
	str("Model", r.Model)
	str("ModelServed", r.ModelServed)
	str("Channel", r.Channel)
	str("RequestType", r.RequestType)
	boolean("Stream", r.Stream)
	num("Status", r.Status)
	str("ErrorCode", r.ErrorCode)
	str("FailureReason", r.FailureReason)
	num("InputTokens", r.InputTokens)
	num("OutputTokens", r.OutputTokens)
	boolean("UsageEstimated", r.UsageEstimated)
	boolean("Unpriced", r.Unpriced)
	flt("CostUSD", r.CostUSD)
	str("Charged", r.Charged)
	flt("LatencyMS", r.LatencyMS)
	flt("TTFBMS", r.TTFBMS)
	str("SourceIP", r.SourceIP)
	str("UserAgent", r.UserAgent)
	str("Client", r.Client)
	num("Attempts", r.Attempts)
	str("Route", r.Route)
	if len(r.AttemptsDetail) > 0 { // rare: only calls that failed over
		b, err := json.Marshal(r.AttemptsDetail)
		if err != nil {
			return dst, false
		}
		dst = append(dst, `,"AttemptsDetail":`...)
		dst = append(dst, b...)
	}
	num("CachedInputTokens", r.CachedInputTokens)
	num("CacheWriteTokens", r.CacheWriteTokens)
	num("ReasoningTokens", r.ReasoningTokens)
	if sp := &r.Spend; sp.Nano != 0 || sp.Hold != "" || sp.Windows != nil {
		// What replay adds to the budgets with the row (store.Spend).
		dst = append(dst, `,"Spend":{"Nano":`...)
		dst = strconv.AppendInt(dst, sp.Nano, 10)
		dst = append(dst, `,"Windows":`...)
		if sp.Windows == nil {
			dst = append(dst, "null"...)
		} else {
			dst = append(dst, '[')
			for i, w := range sp.Windows {
				if i > 0 {
					dst = append(dst, ',')
				}
				dst = append(dst, `{"Scope":`...)
				dst = provider.AppendString(dst, w.Scope)
				dst = append(dst, `,"Subject":`...)
				dst = provider.AppendString(dst, w.Subject)
				dst = append(dst, `,"Period":`...)
				dst = provider.AppendString(dst, w.Period)
				dst = append(dst, `,"Start":`...)
				dst = strconv.AppendInt(dst, w.Start, 10)
				dst = append(dst, '}')
			}
			dst = append(dst, ']')
		}
		dst = append(dst, `,"Hold":`...)
		dst = provider.AppendString(dst, sp.Hold)
		dst = append(dst, '}')
	}
	return append(dst, '}', '\n'), true
}
