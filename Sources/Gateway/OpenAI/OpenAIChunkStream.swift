import AgentRuntime
import Foundation

/// The server-sent events of a streamed completion, fed the run's own events in order.
///
/// First a role chunk (`delta:{role:"assistant", content:""}`), then one `delta:{content}`
/// chunk per piece of text. When the run completes: a chunk with `delta:{}` and
/// `finish_reason:"stop"` (and, when asked, a usage chunk); when it fails or is aborted: an
/// `{"error":{...}}` event. ``OpenAIWire/done`` follows in every case.
struct OpenAIChunkStream {
    let id: String
    let model: String
    let created: Int
    let includeUsage: Bool
    private var sentText = false

    init(id: String, model: String, created: Int, includeUsage: Bool) {
        self.id = id
        self.model = model
        self.created = created
        self.includeUsage = includeUsage
    }

    /// The first event.
    var opening: String {
        OpenAIWire.event(OpenAIWire.chunk(id: id, model: model, created: created, delta: ["role": "assistant", "content": ""], finishReason: nil))
    }

    /// The events for one of the run's events (none for most).
    mutating func events(for payload: AgentRunEvent.Payload) -> [String] {
        switch payload {
        case .text(let piece) where !piece.isEmpty:
            sentText = true
            return [content(piece)]
        case .completed(let text, let usage, _, _):
            // A run whose text came whole (not streamed) still sends it once.
            var events = sentText || text.isEmpty ? [] : [content(text)]
            events.append(OpenAIWire.event(OpenAIWire.chunk(id: id, model: model, created: created, delta: [:], finishReason: "stop")))
            if includeUsage { events.append(OpenAIWire.event(OpenAIWire.usageChunk(id: id, model: model, created: created, usage: usage))) }
            return events
        case .failed(let error):
            return [OpenAIWire.event(OpenAIError.from(error).json)]
        case .aborted(let reason, _):
            return [OpenAIWire.event(OpenAIError.from(AgentRuntimeError(.aborted, reason)).json)]
        default:
            return []
        }
    }

    private func content(_ text: String) -> String {
        OpenAIWire.event(OpenAIWire.chunk(id: id, model: model, created: created, delta: ["content": .string(text)], finishReason: nil))
    }
}
