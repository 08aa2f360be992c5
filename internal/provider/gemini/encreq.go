package gemini

import (
	"errors"
	"strconv"

	"github.com/keygate/keygate/internal/provider"
)

// errEncode is a request value json.Marshal refuses (a float that is not
// finite, raw JSON that is not valid).
var errEncode = errors.New("encode Gemini request: a value is not valid JSON")

// encoder appends JSON as json.Marshal writes the request structs; ok
// turns false at the first value it refuses.
type encoder struct {
	dst []byte
	ok  bool
}

func (e *encoder) raw(v []byte) {
	if e.ok {
		e.dst, e.ok = provider.AppendCompact(e.dst, v)
	}
}

func (e *encoder) str(s string) { e.dst = provider.AppendString(e.dst, s) }

func (e *encoder) lit(s string) { e.dst = append(e.dst, s...) }

// appendRequest appends r as json.Marshal writes a request
// (TestToRequestAsMarshalled, FuzzToRequest).
func appendRequest(dst []byte, r *request) ([]byte, error) {
	e := &encoder{dst: dst, ok: true}
	e.lit(`{"contents":`)
	e.contents(r.Contents)
	if r.SystemInstruction != nil {
		e.lit(`,"systemInstruction":`)
		e.content(r.SystemInstruction)
	}
	if len(r.Tools) > 0 {
		e.lit(`,"tools":[`)
		for i, ts := range r.Tools {
			if i > 0 {
				e.lit(",")
			}
			e.lit("{")
			if len(ts.FunctionDeclarations) > 0 {
				e.lit(`"functionDeclarations":[`)
				for j, fd := range ts.FunctionDeclarations {
					if j > 0 {
						e.lit(",")
					}
					e.lit(`{"name":`)
					e.str(fd.Name)
					if fd.Description != "" {
						e.lit(`,"description":`)
						e.str(fd.Description)
					}
					if len(fd.Parameters) > 0 {
						e.lit(`,"parameters":`)
						e.raw(fd.Parameters)
					}
					e.lit("}")
				}
				e.lit("]")
			}
			e.lit("}")
		}
		e.lit("]")
	}
	if tc := r.ToolConfig; tc != nil {
		e.lit(`,"toolConfig":{`)
		if fc := tc.FunctionCallingConfig; fc != nil {
			e.lit(`"functionCallingConfig":{`)
			n := len(e.dst)
			if fc.Mode != "" {
				e.lit(`"mode":`)
				e.str(fc.Mode)
			}
			if len(fc.AllowedFunctionNames) > 0 {
				if len(e.dst) > n {
					e.lit(",")
				}
				e.lit(`"allowedFunctionNames":`)
				e.strs(fc.AllowedFunctionNames)
			}
			e.lit("}")
		}
		e.lit("}")
	}
	if gc := r.GenerationConfig; gc != nil {
		e.lit(`,"generationConfig":{`)
		e.generationConfig(gc)
		e.lit("}")
	}
	e.lit("}")
	if !e.ok {
		return nil, errEncode
	}
	return e.dst, nil
}

func (e *encoder) strs(ss []string) {
	e.lit("[")
	for i, s := range ss {
		if i > 0 {
			e.lit(",")
		}
		e.str(s)
	}
	e.lit("]")
}

func (e *encoder) contents(cs []content) {
	if cs == nil {
		e.lit("null")
		return
	}
	e.lit("[")
	for i := range cs {
		if i > 0 {
			e.lit(",")
		}
		e.content(&cs[i])
	}
	e.lit("]")
}

func (e *encoder) content(c *content) {
	e.lit("{")
	if c.Role != "" {
		e.lit(`"role":`)
		e.str(c.Role)
		e.lit(",")
	}
	e.lit(`"parts":`)
	if c.Parts == nil {
		e.lit("null")
	} else {
		e.lit("[")
		for i := range c.Parts {
			if i > 0 {
				e.lit(",")
			}
			e.part(&c.Parts[i])
		}
		e.lit("]")
	}
	e.lit("}")
}

func (e *encoder) part(p *part) {
	e.lit("{")
	n := len(e.dst)
	sep := func() {
		if len(e.dst) > n {
			e.lit(",")
		}
	}
	if p.Text != nil {
		e.lit(`"text":`)
		e.str(*p.Text)
	}
	if p.Thought {
		sep()
		e.lit(`"thought":true`)
	}
	if b := p.InlineData; b != nil {
		sep()
		e.lit(`"inlineData":{"mimeType":`)
		e.str(b.MimeType)
		e.lit(`,"data":`)
		e.str(b.Data)
		e.lit("}")
	}
	if f := p.FileData; f != nil {
		sep()
		e.lit(`"fileData":{`)
		if f.MimeType != "" {
			e.lit(`"mimeType":`)
			e.str(f.MimeType)
			e.lit(",")
		}
		e.lit(`"fileUri":`)
		e.str(f.FileURI)
		e.lit("}")
	}
	if fc := p.FunctionCall; fc != nil {
		sep()
		e.lit(`"functionCall":{`)
		if fc.ID != "" {
			e.lit(`"id":`)
			e.str(fc.ID)
			e.lit(",")
		}
		e.lit(`"name":`)
		e.str(fc.Name)
		if len(fc.Args) > 0 {
			e.lit(`,"args":`)
			e.raw(fc.Args)
		}
		e.lit("}")
	}
	if fr := p.FunctionResponse; fr != nil {
		sep()
		e.lit(`"functionResponse":{`)
		if fr.ID != "" {
			e.lit(`"id":`)
			e.str(fr.ID)
			e.lit(",")
		}
		e.lit(`"name":`)
		e.str(fr.Name)
		e.lit(`,"response":`)
		if fr.Response == nil {
			e.lit("null")
		} else {
			e.raw(fr.Response)
		}
		e.lit("}")
	}
	if p.ThoughtSignature != "" {
		sep()
		e.lit(`"thoughtSignature":`)
		e.str(p.ThoughtSignature)
	}
	e.lit("}")
}

func (e *encoder) generationConfig(gc *generationConfig) {
	n := len(e.dst)
	sep := func() {
		if len(e.dst) > n {
			e.lit(",")
		}
	}
	for _, f := range [...]struct {
		name string
		v    *float64
	}{{`"temperature":`, gc.Temperature}, {`"topP":`, gc.TopP}} {
		if f.v != nil {
			sep()
			e.lit(f.name)
			if e.ok {
				e.dst, e.ok = provider.AppendFloat(e.dst, *f.v)
			}
		}
	}
	ints := [...]struct {
		name string
		v    *int
	}{{`"topK":`, gc.TopK}, {`"maxOutputTokens":`, nil}}
	if gc.MaxOutputTokens != 0 {
		ints[1].v = &gc.MaxOutputTokens
	}
	for _, f := range ints {
		if f.v != nil {
			sep()
			e.lit(f.name)
			e.dst = strconv.AppendInt(e.dst, int64(*f.v), 10)
		}
	}
	if len(gc.StopSequences) > 0 {
		sep()
		e.lit(`"stopSequences":`)
		e.strs(gc.StopSequences)
	}
	if gc.ResponseMimeType != "" {
		sep()
		e.lit(`"responseMimeType":`)
		e.str(gc.ResponseMimeType)
	}
	if len(gc.ResponseSchema) > 0 {
		sep()
		e.lit(`"responseSchema":`)
		e.raw(gc.ResponseSchema)
	}
	if gc.CandidateCount != nil {
		sep()
		e.lit(`"candidateCount":`)
		e.dst = strconv.AppendInt(e.dst, int64(*gc.CandidateCount), 10)
	}
	if tc := gc.ThinkingConfig; tc != nil {
		sep()
		e.lit(`"thinkingConfig":{`)
		if tc.ThinkingBudget != nil {
			e.lit(`"thinkingBudget":`)
			e.dst = strconv.AppendInt(e.dst, int64(*tc.ThinkingBudget), 10)
		}
		if tc.IncludeThoughts {
			if tc.ThinkingBudget != nil {
				e.lit(",")
			}
			e.lit(`"includeThoughts":true`)
		}
		e.lit("}")
	}
}
