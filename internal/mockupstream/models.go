package mockupstream

import "net/http"

type kind int

const (
	kindChat  kind = iota // chat and legacy text completions
	kindEmbed             // embeddings only
	kindAny               // failure simulators: accepted on every endpoint
)

type behaviour int

const (
	normal behaviour = iota
	failAuth
	failRateLimit
	failServer
	slow
	streamCut
)

type model struct {
	id        string
	kind      kind
	behaviour behaviour
	listed    bool // shown by GET /v1/models; the failure models stay out of the catalogue
}

// created is a fixed timestamp for the model objects so listings are
// byte-for-byte stable across runs.
const modelsCreated = 1700000000

var models = []model{
	{id: "mock-gpt", kind: kindChat, listed: true},
	{id: "mock-gpt-mini", kind: kindChat, listed: true},
	{id: "mock-embed", kind: kindEmbed, listed: true},
	{id: "mock-error-401", kind: kindAny, behaviour: failAuth},
	{id: "mock-error-429", kind: kindAny, behaviour: failRateLimit},
	{id: "mock-error-500", kind: kindAny, behaviour: failServer},
	{id: "mock-slow", kind: kindAny, behaviour: slow},
	{id: "mock-stream-cut", kind: kindAny, behaviour: streamCut},
}

func lookupModel(id string) *model {
	for i := range models {
		if models[i].id == id {
			return &models[i]
		}
	}
	return nil
}

// modelsList is rendered once: the catalogue never changes at run time.
var modelsList = func() []byte {
	b := []byte(`{"object":"list","data":[`)
	first := true
	for i := range models {
		if !models[i].listed {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendModel(b, &models[i])
	}
	return append(b, "]}\n"...)
}()

func appendModel(b []byte, m *model) []byte {
	b = append(b, `{"id":`...)
	b = appendString(b, m.id)
	b = append(b, `,"object":"model","created":`...)
	b = appendInt(b, modelsCreated)
	return append(b, `,"owned_by":"keygate-mock"}`...)
}

func (s *server) listModels(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, modelsList)
}

func (s *server) getModel(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	m := lookupModel(id)
	if m == nil {
		modelNotFound(w, id)
		return
	}
	bp := getBuf()
	defer putBuf(bp)
	*bp = append(appendModel(*bp, m), '\n')
	writeJSON(w, http.StatusOK, *bp)
}

// resolveModel finds the request's model and checks it suits the endpoint,
// answering the client itself when it does not (nil result).
func resolveModel(w http.ResponseWriter, id string, want kind) *model {
	if id == "" {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "", "model",
			"you must provide a model parameter")
		return nil
	}
	m := lookupModel(id)
	if m == nil {
		modelNotFound(w, id)
		return nil
	}
	if m.kind != kindAny && m.kind != want {
		what := "a chat model"
		if want == kindEmbed {
			what = "an embedding model"
		}
		writeError(w, http.StatusBadRequest, "invalid_request_error", "", "model",
			"The model `"+id+"` is not "+what+" and cannot be used on this endpoint.")
		return nil
	}
	return m
}

func modelNotFound(w http.ResponseWriter, id string) {
	writeError(w, http.StatusNotFound, "invalid_request_error", "model_not_found", "",
		"The model `"+id+"` does not exist or you do not have access to it.")
}
