import ArgumentParser
import GenreKit
import Models

struct Summary: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "summary",
        abstract: "Per-layer shapes, MACs and parameters of a network.",
        discussion: "From a config file, or from --arch/--width/--input/--classes. Example: genre summary --arch mobilenet_v1 --input 224x224 --in-channels 3 --classes 1000"
    )

    @Argument(help: "A training config (JSON); its model and feature settings give the network and input size.")
    var config: String?
    @Option(help: "mobilenet_v1, mobilenet_v2 or shufflenet_v1.")
    var arch: ModelSpec.Architecture?
    @Option(help: "Width multiplier α.")
    var width: Double?
    @Option(help: "Input height×width, e.g. 128x129.")
    var input: InputSize?
    @Option(name: .customLong("in-channels"), help: "Input channels (1 for spectrograms).")
    var inChannels: Int?
    @Option(help: "Number of classes.")
    var classes: Int?
    @Option(help: "ShuffleNet groups (1, 2, 3, 4 or 8).")
    var groups: Int?

    func run() throws {
        try reportingErrors {
            var spec = ModelSpec(arch: .mobilenetV2, width: 1, inChannels: 1, classes: 10)
            var size = InputSize(height: 128, width: 129)
            if let config {
                let c = try Config.load(path: config)
                spec = c.modelSpec(classes: 10)
                size = InputSize(height: c.features.nMels, width: c.windowing.width(c.features))
            }
            spec.arch = arch ?? spec.arch
            spec.width = width ?? spec.width
            spec.inChannels = inChannels ?? spec.inChannels
            spec.classes = classes ?? spec.classes
            spec.groups = groups ?? spec.groups
            size = input ?? size
            if let problem = spec.problem { throw fail(problem) }
            let table = CostTable(spec: spec, height: size.height, width: size.width)
            print(table.text(title: "\(spec.arch.rawValue) α=\(spec.width), input \(spec.inChannels)×\(size.height)×\(size.width), \(spec.classes) classes"
                + (spec.arch == .shufflenetV1 ? ", g=\(spec.groups)" : "")))
        }
    }
}

extension ModelSpec.Architecture: ExpressibleByArgument {}

struct InputSize: ExpressibleByArgument {
    let height: Int
    let width: Int

    init(height: Int, width: Int) {
        self.height = height
        self.width = width
    }

    init?(argument: String) {
        let parts = argument.lowercased().split(separator: "x").compactMap { Int($0) }
        guard parts.count == 2, parts.allSatisfy({ $0 > 0 }) else { return nil }
        self.init(height: parts[0], width: parts[1])
    }
}
