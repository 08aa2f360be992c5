package httpapi

import (
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
)

// A /v1/messages call's Native is one shared value unless the client sent
// betas: those go to the upstream of that call only, and never into the
// shared value another call would then forward.
func TestMessagesNativeForwardsBetasPerCall(t *testing.T) {
	beta := httptest.NewRequest(http.MethodPost, "/v1/messages", nil)
	beta.Header["Anthropic-Beta"] = []string{"effort-2025-11-24", "context-management-2025-06-27"}
	plain := httptest.NewRequest(http.MethodPost, "/v1/messages", nil)

	nb := messagesNative(beta)
	if want := (http.Header{"Anthropic-Beta": {"effort-2025-11-24", "context-management-2025-06-27"}}); !reflect.DeepEqual(nb.Header, want) {
		t.Fatalf("forwarded %v, want %v", nb.Header, want)
	}
	if nb == messagesNativeShared || messagesNativeShared.Header != nil {
		t.Fatal("a call's betas went into the shared Native")
	}
	np := messagesNative(plain)
	if np != messagesNativeShared || np.Header != nil {
		t.Fatalf("a call without betas forwards %v", np.Header)
	}
	if nb.ChannelType != np.ChannelType || !nb.ModelInBody || nb.NewDecoder == nil || nb.Usage == nil || nb.URL == nil {
		t.Fatalf("the copy lost the shared fields: %+v", nb)
	}
}
