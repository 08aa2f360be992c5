package logwriter

import (
	"encoding/json"
	"math"
	"strconv"
	"time"

	"github.com/keygate/keygate/internal/provider"
	"github.com/keygate/keygate/internal/store"
)

// appendRow appends r as one JSON line that encoding/json decodes into the
// same store.RequestLog as encoding/json's own encoding of r (field names
// as keys), which is what readSegment decodes at replay. A field at its
// zero value is left out (decoding into a fresh row gives it that value
// back): most rows leave a third of their fields empty, and every byte of a
// line is a byte of page cache the kernel faults in, writes back and frees.
// Written by hand, without closures (they moved dst to the heap on every
// call), because reflection over the row's fields was most of the spool's
// cost on every call. ok is false for a row JSON cannot carry (a NaN or
// infinite number), which then goes unspooled as an encoding error did
// before.
func appendRow(dst []byte, r *store.RequestLog) (out []byte, ok bool) {
	if !finite(r.CostUSD) || !finite(r.LatencyMS) || !finite(r.TTFBMS) {
		return dst, false
	}
	dst = append(dst, `{"RequestID":`...)
	dst = appendStr(dst, r.RequestID)
	dst = append(dst, `,"Time":"`...)
	dst = r.Time.AppendFormat(dst, time.RFC3339Nano)
	dst = append(dst, '"')
	dst = strField(dst, `,"KeyID":`, r.KeyID)
	dst = strField(dst, `,"KeyDisplay":`, r.KeyDisplay)
	dst = strField(dst, `,"KeyEnv":`, r.KeyEnv)
	dst = strField(dst, `,"Project":`, r.Project)
	dst = strField(dst, `,"Member":`, r.Member)
	dst = strField(dst, `,"Group":`, r.Group)
	dst = strField(dst, `,"Model":`, r.Model)
	dst = strField(dst, `,"ModelServed":`, r.ModelServed)
	dst = strField(dst, `,"Channel":`, r.Channel)
	dst = strField(dst, `,"RequestType":`, r.RequestType)
	if r.Stream {
		dst = append(dst, `,"Stream":true`...)
	}
	dst = intField(dst, `,"Status":`, r.Status)
	dst = strField(dst, `,"ErrorCode":`, r.ErrorCode)
	dst = strField(dst, `,"FailureReason":`, r.FailureReason)
	dst = intField(dst, `,"InputTokens":`, r.InputTokens)
	dst = intField(dst, `,"OutputTokens":`, r.OutputTokens)
	if r.UsageEstimated {
		dst = append(dst, `,"UsageEstimated":true`...)
	}
	if r.Unpriced {
		dst = append(dst, `,"Unpriced":true`...)
	}
	dst = floatField(dst, `,"CostUSD":`, r.CostUSD)
	dst = strField(dst, `,"Charged":`, r.Charged)
	dst = floatField(dst, `,"LatencyMS":`, r.LatencyMS)
	dst = floatField(dst, `,"TTFBMS":`, r.TTFBMS)
	dst = strField(dst, `,"SourceIP":`, r.SourceIP)
	dst = strField(dst, `,"UserAgent":`, r.UserAgent)
	dst = strField(dst, `,"Client":`, r.Client)
	dst = intField(dst, `,"Attempts":`, r.Attempts)
	dst = strField(dst, `,"Route":`, r.Route)
	if len(r.AttemptsDetail) > 0 { // rare: only calls that failed over
		b, err := json.Marshal(r.AttemptsDetail)
		if err != nil {
			return dst, false
		}
		dst = append(dst, `,"AttemptsDetail":`...)
		dst = append(dst, b...)
	}
	dst = intField(dst, `,"CachedInputTokens":`, r.CachedInputTokens)
	dst = intField(dst, `,"CacheWriteTokens":`, r.CacheWriteTokens)
	dst = intField(dst, `,"ReasoningTokens":`, r.ReasoningTokens)
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
				dst = appendStr(dst, w.Scope)
				dst = append(dst, `,"Subject":`...)
				dst = appendStr(dst, w.Subject)
				dst = append(dst, `,"Period":`...)
				dst = appendStr(dst, w.Period)
				dst = append(dst, `,"Start":`...)
				dst = strconv.AppendInt(dst, w.Start, 10)
				dst = append(dst, '}')
			}
			dst = append(dst, ']')
		}
		dst = append(dst, `,"Hold":`...)
		dst = appendStr(dst, sp.Hold)
		dst = append(dst, '}')
	}
	return append(dst, '}', '\n'), true
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// strField appends key (`,"Name":`) and v, unless v is empty.
func strField(dst []byte, key, v string) []byte {
	if v == "" {
		return dst
	}
	return appendStr(append(dst, key...), v)
}

// intField appends key and v, unless v is 0.
func intField(dst []byte, key string, v int) []byte {
	if v == 0 {
		return dst
	}
	return strconv.AppendInt(append(dst, key...), int64(v), 10)
}

// floatField appends key and v as encoding/json reads it back, unless v is
// 0 (or -0, which reads back equal).
func floatField(dst []byte, key string, v float64) []byte {
	if v == 0 {
		return dst
	}
	return strconv.AppendFloat(append(dst, key...), v, 'g', -1, 64)
}

// plain marks the bytes a JSON string may hold as they are: printable
// ASCII but the quote and the backslash. (encoding/json also escapes <, >
// and &, which decode the same either way.)
var plain = func() (t [256]bool) {
	for c := 0x20; c < 0x7f; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// appendStr appends s as a JSON string: copied whole when every byte is
// plain (the gateway's ids, names and most clients' texts), otherwise
// escaped by provider.AppendString.
func appendStr(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if !plain[s[i]] {
			return provider.AppendString(dst, s)
		}
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}
