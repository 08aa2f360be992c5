package anthropic

import (
	"github.com/keygate/keygate/internal/jsonscan"
	"github.com/keygate/keygate/internal/provider"
)

var responseFields = []string{"id", "type", "role", "model", "content", "stop_reason", "stop_sequence", "usage"}

// scanResponse reads a Message with jsonscan into what json.Unmarshal
// gives in a response (the hot path of a converted non-stream call). It
// is not ok for whatever it cannot read as encoding/json does — a member
// named twice or in another case, a value of another kind, a null block,
// trailing bytes — and the caller then uses encoding/json.
func scanResponse(body []byte) (in response, ok bool) {
	start := jsonscan.Space(body, 0)
	end, ok := provider.FieldsOther(body[start:], responseFields, nil, func(i int, v []byte) bool {
		switch i {
		case 0:
			return provider.ScanString(v, &in.ID)
		case 1:
			return provider.ScanString(v, &in.Type)
		case 2:
			return provider.ScanString(v, &in.Role)
		case 3:
			return provider.ScanString(v, &in.Model)
		case 4:
			var ok bool
			in.Content, ok = scanBlocks(v)
			return ok
		case 5:
			return provider.ScanStringPtr(v, &in.StopReason)
		case 6:
			return provider.ScanStringPtr(v, &in.StopSequence)
		}
		return provider.IsNull(v) || scanUsage(v, &in.Usage)
	})
	return in, ok && jsonscan.Space(body, start+end) == len(body)
}

// scanBlocks reads an array of content blocks (or null) as json.Unmarshal
// reads it into []block.
func scanBlocks(v []byte) ([]block, bool) {
	if provider.IsNull(v) {
		return nil, true
	}
	blocks := []block{}
	ok := provider.ScanArray(v, func(e []byte) bool {
		blocks = append(blocks, block{})
		return scanBlock(e, &blocks[len(blocks)-1])
	})
	return blocks, ok
}

var (
	blockFields  = []string{"type", "text", "source", "id", "name", "input", "tool_use_id", "content", "is_error", "thinking", "signature"}
	sourceFields = []string{"type", "media_type", "data", "url"}
)

// scanBlock reads one content block into b as json.Unmarshal does.
func scanBlock(e []byte, b *block) bool {
	return provider.Fields(e, blockFields, func(i int, v []byte) bool {
		switch i {
		case 0:
			return provider.ScanString(v, &b.Type)
		case 1:
			return provider.ScanStringPtr(v, &b.Text)
		case 2:
			if provider.IsNull(v) {
				b.Source = nil
				return true
			}
			s := &source{}
			b.Source = s
			return provider.Fields(v, sourceFields, func(i int, v []byte) bool {
				return provider.ScanString(v, [...]*string{&s.Type, &s.MediaType, &s.Data, &s.URL}[i])
			})
		case 3:
			return provider.ScanString(v, &b.ID)
		case 4:
			return provider.ScanString(v, &b.Name)
		case 5:
			return provider.ScanRaw(v, &b.Input)
		case 6:
			return provider.ScanString(v, &b.ToolUseID)
		case 7:
			return provider.ScanRaw(v, &b.Content)
		case 8:
			return provider.ScanBool(v, &b.IsError)
		case 9:
			return provider.ScanStringPtr(v, &b.Thinking)
		}
		return provider.ScanStringPtr(v, &b.Signature)
	})
}
