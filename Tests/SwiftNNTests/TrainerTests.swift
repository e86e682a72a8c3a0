// The one Trainer with a task of its own (fitting y = 2x + 1): step and time budgets, the LR
// schedule and evaluation hook per completed epoch, checkpoints, and a non-finite loss that
// throws before the optimizer touches the weights.
import Testing
@testable import SwiftNN
#if canImport(Glibc)
import Glibc
#endif

/// Four batches of 8 points of y = 2x + 1 per epoch, the same every epoch.
private final class LineTask: TrainingTask {
    let model: Linear
    var epochsStarted: [Int] = []
    var poison = false  // the next loss is NaN
    private var batch = 0
    init(_ model: Linear) { self.model = model }
    var stepsPerEpoch: Int { 4 }
    func startEpoch(_ epoch: Int) { epochsStarted.append(epoch); batch = 0 }
    func nextLoss() throws -> (loss: Tensor, items: Int)? {
        guard batch < 4 else { return nil }
        let xs = (0..<8).map { Float(batch * 8 + $0) / 32 - 0.5 }
        batch += 1
        let x = try Tensor(xs, shape: [8, 1]), y = try Tensor(xs.map { 2 * $0 + (poison ? .nan : 1) }, shape: [8, 1])
        return (try mseLoss(try model.forward(x), y), 8)
    }
}

private func lineTrainer(lr: Double = 0.5) throws -> (Trainer, LineTask, Linear) {
    Generator.global.manualSeed(7)
    let m = try Linear(inFeatures: 1, outFeatures: 1)
    let opt = try SGD(m.parameters, SGD.Options(lr: lr))
    return (Trainer(model: m, optimizer: opt, name: "line_fit"), LineTask(m), m)
}

@Test func trainerFitsAModelThroughItsOwnTaskAndReportsEveryEpochEnd() throws {
    let (trainer, task, m) = try lineTrainer()
    var o = TrainOptions()
    o.epochs = 30
    o.reportEvery = 3
    var reports: [TrainProgress] = []
    let history = try trainer.fit(task, options: o) { reports.append($0); return true }
    #expect(history.count == 120 && task.epochsStarted == Array(1...30))
    #expect(history.last! < 1e-4 && history.last! < history.first! / 100)
    #expect(abs(m.weight.floats[0] - 2) < 0.02 && abs(m.bias!.floats[0] - 1) < 0.02)
    // steps 3 and 4 (the epoch's end) of every epoch, with the optimizer's rate
    #expect(reports.count == 60 && reports.allSatisfy { ($0.step == 3) != $0.endOfEpoch && $0.learningRate == 0.5 })
    #expect(reports.last!.globalStep == 120 && reports.last!.stepsPerEpoch == 4 && reports.last!.etaSeconds == 0)
}

@Test func aStepBudgetEndingMidEpochSkipsThatEpochsScheduleAndEvaluation() throws {
    let (trainer, task, _) = try lineTrainer()
    trainer.scheduler = try StepLR(trainer.optimizer, stepSize: 1, gamma: 0.5)
    var evaluated: [(Int, Double)] = []
    trainer.evaluate = { epoch in evaluated.append((epoch, try trainer.optimizer.learningRate(group: 0))) }
    var o = TrainOptions()
    o.epochs = 10
    o.maxSteps = 6
    let history = try trainer.fit(task, options: o)
    #expect(history.count == 6 && task.epochsStarted == [1, 2])
    // epoch 1 completed: the scheduler halved the rate, then the hook ran; epoch 2 did not
    #expect(evaluated.count == 1 && evaluated[0] == (1, 0.25))
    #expect(try trainer.optimizer.learningRate(group: 0) == 0.25)
}

@Test func aBudgetShorterThanAnEpochReportsItsEndButDoesNotCompleteIt() throws {
    let (trainer, task, _) = try lineTrainer()
    var evaluated: [Int] = []
    trainer.evaluate = { evaluated.append($0) }
    var o = TrainOptions()
    o.epochs = 10
    o.maxSteps = 2
    var reports: [TrainProgress] = []
    #expect(try trainer.fit(task, options: o) { reports.append($0); return true }.count == 2)
    // as CharRNN always reported: the epoch is cut to the budget, and its end is reported
    #expect(reports.count == 1 && reports[0].stepsPerEpoch == 2 && reports[0].endOfEpoch)
    #expect(task.epochsStarted == [1] && evaluated.isEmpty)
}

@Test func aBudgetEndingWithAnEpochCompletesIt() throws {
    let (trainer, task, _) = try lineTrainer()
    var evaluated: [Int] = []
    trainer.evaluate = { evaluated.append($0) }
    var o = TrainOptions()
    o.epochs = 10
    o.maxSteps = 8
    #expect(try trainer.fit(task, options: o).count == 8)
    #expect(task.epochsStarted == [1, 2] && evaluated == [1, 2])
}

@Test func aTimeBudgetStopsAfterTheStepThatPassesIt() throws {
    let (trainer, task, _) = try lineTrainer()
    var o = TrainOptions()
    o.epochs = 1000
    o.maxSeconds = 1e-9
    #expect(try trainer.fit(task, options: o).count == 1)
}

@Test func checkpointsAreWrittenOnScheduleAndAtTheEnd() throws {
    let (trainer, task, m) = try lineTrainer()
    let path = "/tmp/swiftnn-trainer-\(getpid()).safetensors"
    defer { unlink(path) }
    var o = TrainOptions()
    o.epochs = 2
    o.checkpointEvery = 3  // steps 3 and 6, then the end (step 8)
    o.checkpointPath = path
    try trainer.fit(task, options: o)
    let back = try #require(try Checkpoint.load(from: path) as? Linear)
    #expect(back.weight.floats[0] == m.weight.floats[0] && back.bias!.floats[0] == m.bias!.floats[0])
    o.checkpointPath = ""
    #expect(throws: SNNError.self) { try trainer.fit(task, options: o) }
}

@Test func aNonFiniteLossThrowsBeforeTheOptimizerStep() throws {
    let (trainer, task, m) = try lineTrainer()
    var o = TrainOptions()
    o.maxSteps = 2
    try trainer.fit(task, options: o)
    let w = m.weight.floats[0], b = m.bias!.floats[0]
    task.poison = true
    do {
        try trainer.fit(task, options: o)
        Issue.record("a NaN loss trained on")
    } catch let e as SNNError {
        #expect("\(e)".contains("line_fit: loss became nan at epoch 1 step 1"))
    }
    #expect(m.weight.floats[0] == w && m.bias!.floats[0] == b)
}
