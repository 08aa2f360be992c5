package logwriter

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/keygate/keygate/internal/store"
)

// decodeBoth decodes appendRow's line and encoding/json's encoding of the
// same row: replay must read back exactly what encoding/json would have.
func decodeBoth(t *testing.T, r store.RequestLog) (mine, theirs store.RequestLog) {
	t.Helper()
	line, ok := appendRow(nil, &r)
	if !ok {
		t.Fatalf("appendRow refused %+v", r)
	}
	if len(line) == 0 || line[len(line)-1] != '\n' {
		t.Fatalf("not one line: %q", line)
	}
	if err := json.Unmarshal(line, &mine); err != nil {
		t.Fatalf("appendRow wrote invalid JSON: %v\n%s", err, line)
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &theirs); err != nil {
		t.Fatal(err)
	}
	return mine, theirs
}

// Every field of a row survives the spool: a field added to
// store.RequestLog but not to appendRow fails here, because the row below
// sets every field to a non-zero value through reflection.
func TestAppendRowCarriesEveryField(t *testing.T) {
	var r store.RequestLog
	v := reflect.ValueOf(&r).Elem()
	for i := range v.NumField() {
		f := v.Field(i)
		switch f.Kind() {
		case reflect.String:
			f.SetString("v" + v.Type().Field(i).Name + " <&> \u2028 \"q\" \\ \x00 \xff ü")
		case reflect.Int:
			f.SetInt(int64(1000 + i))
		case reflect.Float64:
			f.SetFloat(0.1 + float64(i)/3)
		case reflect.Bool:
			f.SetBool(true)
		case reflect.Slice:
			f.Set(reflect.ValueOf([]store.Attempt{{Channel: "a", Status: 502, Code: "x", Error: "e\"", DurationMS: 1.5}}))
		case reflect.Struct:
			switch f.Type() {
			case reflect.TypeOf(time.Time{}):
				f.Set(reflect.ValueOf(time.Date(2026, 12, 1, 11, 0, 0, 123456789, time.FixedZone("X", 3600))))
			case reflect.TypeOf(store.Spend{}):
				f.Set(reflect.ValueOf(store.Spend{Nano: 12345, Hold: "hold_\"1\" \xff", Windows: []store.BudgetWindow{
					{Scope: "key", Subject: "key_1 ü \x00", Period: "monthly", Start: 1796122757000},
					{Scope: "project", Subject: "demo", Period: "total"}}}))
			default:
				t.Fatalf("field %s of type %s: teach appendRow and this test about it", v.Type().Field(i).Name, f.Type())
			}
		default:
			t.Fatalf("field %s of kind %s: teach appendRow and this test about it", v.Type().Field(i).Name, f.Kind())
		}
	}
	mine, theirs := decodeBoth(t, r)
	if !reflect.DeepEqual(mine, theirs) {
		t.Fatalf("replayed row differs from encoding/json's:\n got %+v\nwant %+v", mine, theirs)
	}
	for i := range v.NumField() {
		if reflect.ValueOf(mine).Field(i).IsZero() {
			t.Errorf("field %s is lost in the spool", v.Type().Field(i).Name)
		}
	}
}

func FuzzAppendRow(f *testing.F) {
	f.Add("req_1", "mock-gpt", "curl/8 \xff", 3, 0.000015, int64(1796122757000))
	f.Fuzz(func(t *testing.T, id, model, ua string, tokens int, cost float64, ms int64) {
		r := store.RequestLog{RequestID: id, Model: model, UserAgent: ua, InputTokens: tokens, CostUSD: cost,
			Time: time.UnixMilli(ms % 253402300799000).UTC()}
		if tokens%2 == 1 { // a budgeted call: its spend travels with it
			r.Spend = store.Spend{Nano: ms, Hold: ua, Windows: []store.BudgetWindow{{Scope: "key", Subject: model, Period: id, Start: ms}}}
		}
		if _, err := json.Marshal(r); err != nil {
			t.Skip() // a row encoding/json refuses (NaN, a year past 9999) was never spooled
		}
		mine, theirs := decodeBoth(t, r)
		if !reflect.DeepEqual(mine, theirs) {
			t.Fatalf("got %+v\nwant %+v", mine, theirs)
		}
	})
}
