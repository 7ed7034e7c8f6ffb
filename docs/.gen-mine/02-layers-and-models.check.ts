import * as nx from '@raven/nx';
import { Init, Layer, Ptree } from '@raven/kaun';
export {};
// ---- 02-layers-and-models.md:19

const key = nx.random.key(0);
const shape = (t: nx.Tensor) => `[${t.shape.join(', ')}]`;
// ---- 02-layers-and-models.md:38
const linear = Layer.linear({ inFeatures: 4, outFeatures: 3 });
const linearVars = linear.init({ key });
const x = nx.random.normal(nx.random.key(1), [2, 4]);
console.log(shape(linear.apply(linearVars, x).y));   // [2, 3]
console.log(Ptree.format(linearVars.params));
// Tree: 2 tensors, 15 parameters
//   weight  [3, 4]  float32  12
//   bias    [3]     float32   3
// ---- 02-layers-and-models.md:51
try {
  linear.apply(linearVars, nx.zeros([2, 5]));
} catch (e) {
  console.log((e as Error).message); // Layer.linear: expected input with last axis 4, got shape [2, 5]
}
// ---- 02-layers-and-models.md:67
const image = nx.random.uniform(nx.random.key(2), [2, 1, 28, 28]);
const conv = Layer.conv2d({ inChannels: 1, outChannels: 8, kernelSize: 3, padding: 1 });
const convVars = conv.init({ key });
const feature = conv.apply(convVars, image).y;
console.log(shape(feature));                                                          // [2, 8, 28, 28]
console.log(shape(Layer.maxPool2d({ kernelSize: 2 }).apply({ params: {}, state: {}, dtype: 'float32' }, feature).y)); // [2, 8, 14, 14]

const conv1 = Layer.conv1d({ inChannels: 3, outChannels: 4, kernelSize: 5, stride: 2 });
console.log(shape(conv1.apply(conv1.init({ key }), nx.zeros([2, 3, 32])).y));          // [2, 4, 14]
// ---- 02-layers-and-models.md:82
/** Runs a layer once on `x` with fresh variables (in evaluation mode unless told otherwise). */
function run(layer: Layer.Layer, input: nx.Tensor, options: Layer.ApplyOptions = {}): nx.Tensor {
  const vars = layer.init({ key });
  const { y } = layer.apply(vars, input, options);
  return y;
}

console.log(shape(run(Layer.avgPool2d({ kernelSize: 2, stride: 2 }), feature))); // [2, 8, 14, 14]
console.log(shape(run(Layer.flatten(), feature)));                               // [2, 6272]
// ---- 02-layers-and-models.md:107
const bn = Layer.batchNorm({ numFeatures: 8 });
const bnVars = bn.init({ key });
const trainOut = bn.apply(bnVars, feature, { training: true });
console.log(Object.keys(trainOut.state as object));      // ['running_mean', 'running_var', 'num_batches_tracked']
const bnAfter = Layer.withState(bnVars, trainOut.state); // keep the new statistics
const evalOut = bn.apply(bnAfter, feature);              // evaluation: running statistics
console.log(evalOut.state === bnAfter.state);             // true

const ln = Layer.layerNorm({ dim: 3 });
const normed = run(ln, nx.fromArray([[1, 2, 3], [10, 20, 30]]));
console.log(nx.toArray(nx.mean(normed, { axis: -1 })));  // about [0, 0]
console.log(shape(run(Layer.rmsNorm({ dim: 4 }), x)));    // [2, 4]
// ---- 02-layers-and-models.md:127
const embed = Layer.embedding({ numEmbeddings: 100, embeddingDim: 16 });
const ids = nx.fromArray([[1, 5, 7], [2, 0, 0]], { dtype: 'int32' });
console.log(shape(run(embed, ids))); // [2, 3, 16]
// ---- 02-layers-and-models.md:139
const drop = Layer.dropout({ rate: 0.5 });
const ones = nx.ones([2, 6]);
console.log(nx.toArray(run(drop, ones)));                                           // all ones
console.log(nx.toArray(run(drop, ones, { training: true, key: nx.random.key(3) }))); // zeros and twos
try {
  run(drop, ones, { training: true });
} catch (e) {
  console.log((e as Error).message); // Layer.dropout: dropout is active (training with rate 0.5) but no key was given; ...
}
// ---- 02-layers-and-models.md:162
const attention = Layer.multiHeadAttention({ embedDim: 16, numHeads: 4 });
const attnVars = attention.init({ key });
const seq = nx.random.normal(nx.random.key(4), [2, 5, 16]); // 2 sequences of 5 tokens

// the second sequence has only 3 real tokens
const padding = nx.fromArray([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]], { dtype: 'int32' });
const padded = attention.apply(attnVars, { query: seq, mask: padding }).y;
console.log(shape(padded)); // [2, 5, 16]

// ---- 02-layers-and-models.md:178
const realPart = nx.slice(seq, [[1, 2], [0, 3]]);                 // seq[1:2, 0:3]  -> [1, 3, 16]
const junk = nx.full([1, 2, 16], 9);                              // different "padding" vectors
const second = nx.concatenate([realPart, junk], 1);               // [1, 5, 16]
const seq2 = nx.concatenate([nx.slice(seq, [[0, 1]]), second], 0); // [2, 5, 16]
const padded2 = attention.apply(attnVars, { query: seq2, mask: padding }).y;
const realDiff = nx.max(nx.abs(nx.sub(nx.slice(padded, [1, [0, 3]]), nx.slice(padded2, [1, [0, 3]]))));
console.log(Number(nx.item(realDiff)) < 1e-5); // true: the real tokens never saw the padding
// ---- 02-layers-and-models.md:191
const causal = attention.apply(attnVars, { query: seq, causal: true }).y;
const changedEnd = nx.concatenate([nx.slice(seq, [null, [0, 4]]), nx.zeros([2, 1, 16])], 1); // change the last token
const causal2 = attention.apply(attnVars, { query: changedEnd, causal: true }).y;
const firstFour = nx.max(nx.abs(nx.sub(nx.slice(causal, [null, [0, 4]]), nx.slice(causal2, [null, [0, 4]]))));
console.log(Number(nx.item(firstFour)) < 1e-5); // true

// grouped-query attention: 8 query heads share 2 key/value heads
const gqa = Layer.multiHeadAttention({ embedDim: 16, numHeads: 8, numKvHeads: 2 });
const gqaVars = gqa.init({ key });
console.log(shape(Ptree.get(gqaVars.params, 'k_proj.weight') as nx.Tensor)); // [4, 16]
// ---- 02-layers-and-models.md:215
const v = nx.fromArray([-2, -0.5, 0, 0.5, 2]);
console.log(nx.toArray(run(Layer.relu(), v)));                        // [0, 0, 0, 0.5, 2]
console.log(nx.toArray(run(Layer.leakyRelu({ negativeSlope: 0.1 }), v))); // [-0.2, -0.05, 0, 0.5, 2]
console.log(Array.from(nx.toTypedArray(Layer.Activation.gelu(v)), (g) => g.toFixed(3))); // ['-0.046', '-0.154', '0.000', '0.346', '1.954']
const double = Layer.fn((t: nx.Tensor) => nx.mul(t, 2));
console.log(nx.toArray(run(double, v)));                              // [-4, -1, 0, 1, 4]
// ---- 02-layers-and-models.md:231
const cnn = Layer.sequential([
  Layer.conv2d({ inChannels: 1, outChannels: 8, kernelSize: 3, padding: 1 }),
  Layer.batchNorm({ numFeatures: 8 }),
  Layer.relu(),
  Layer.maxPool2d({ kernelSize: 2 }),
  Layer.flatten(),
  Layer.linear({ inFeatures: 8 * 14 * 14, outFeatures: 10 }),
]);
const cnnVars = cnn.init({ key });
console.log(shape(cnn.apply(cnnVars, image).y)); // [2, 10]
console.log(Ptree.paths(cnnVars.params));        // ['0.weight', '0.bias', '1.weight', '1.bias', '5.weight', '5.bias']
console.log(Ptree.paths(cnnVars.state));         // ['1.running_mean', '1.running_var', '1.num_batches_tracked']
// ---- 02-layers-and-models.md:250
const embedThenNorm = Layer.compose(Layer.embedding({ numEmbeddings: 100, embeddingDim: 16 }), Layer.layerNorm({ dim: 16 }));
console.log(Ptree.paths(embedThenNorm.init({ key }).params)); // ['left.weight', 'right.weight', 'right.bias']
// ---- 02-layers-and-models.md:262
/** A pre-norm residual MLP block: x + mlp(norm(x)). */
function residualBlock(dim: number, hidden: number): Layer.Layer {
  return Layer.named(
    {
      norm: Layer.layerNorm({ dim }),
      mlp: Layer.sequential([
        Layer.linear({ inFeatures: dim, outFeatures: hidden }),
        Layer.gelu(),
        Layer.linear({ inFeatures: hidden, outFeatures: dim }),
      ]),
    },
    (call, input: nx.Tensor) => nx.add(input, call('mlp', call('norm', input))),
  );
}

const tower = Layer.named({
  embed: Layer.embedding({ numEmbeddings: 100, embeddingDim: 16 }),
  blocks: Layer.sequential([residualBlock(16, 64), residualBlock(16, 64)]),
  head: Layer.linear({ inFeatures: 16, outFeatures: 2 }),
}); // without a forward function, the children run in order: embed, blocks, head
const towerVars = tower.init({ key });
console.log(shape(tower.apply(towerVars, ids).y)); // [2, 3, 2]
console.log(Ptree.paths(towerVars.params).slice(0, 4));
// ['embed.weight', 'blocks.0.norm.weight', 'blocks.0.norm.bias', 'blocks.0.mlp.0.weight']
// ---- 02-layers-and-models.md:294
/** y = x * scale, with a learnable scale per feature, initialised to `initial`. */
function learnedScale(features: number, initial = 1): Layer.Layer {
  return {
    init: ({ dtype = 'float32' }) => ({ params: { scale: nx.full([features], initial, dtype) }, state: {}, dtype }),
    apply: (vars, input) => {
      const { scale } = vars.params as { scale: nx.Tensor };
      return { y: nx.mul(input, scale), state: vars.state };
    },
  };
}

/** Wraps a model whose output is [batch, 1] to give [batch]. */
function squeezeLast(inner: Layer.Layer): Layer.Layer {
  return {
    init: (options) => inner.init(options),
    apply: (vars, input, options) => {
      const out = inner.apply(vars, input, options);
      return { y: nx.scope(() => nx.reshape(out.y, [-1])), state: out.state };
    },
  };
}

const scaled = Layer.sequential([Layer.linear({ inFeatures: 4, outFeatures: 4 }), learnedScale(4, 0.5)]);
console.log(Ptree.paths(scaled.init({ key }).params)); // ['0.weight', '0.bias', '1.scale']
const regressor = squeezeLast(Layer.linear({ inFeatures: 4, outFeatures: 1 }));
console.log(shape(run(regressor, x))); // [2]
// ---- 02-layers-and-models.md:338
const params = cnnVars.params;

// paths and leaves
console.log(Ptree.countParameters(params));                      // 15778
const entries = Ptree.flattenWithPaths(params);                  // [['0.weight', t], ['0.bias', t], ...]
console.log(entries.map(([p, t]) => `${p} ${shape(t)}`).join(', '));
console.log(shape(Ptree.get(params, '5.weight') as nx.Tensor));  // [10, 1568]
console.log(Ptree.has(params, '3.weight'));                       // false: the pooling layer has no params
console.log(Ptree.format(params, { title: 'CNN' }));
// ---- 02-layers-and-models.md:353
const halved = Ptree.map(params, (t) => nx.mul(t, 0.5));
const diff = Ptree.map2(params, halved, (a, b) => nx.sub(a, b));
const sumSquares = Ptree.fold(diff, 0, (acc, t) => acc + Number(nx.item(nx.sum(nx.square(t)))));
console.log(sumSquares > 0); // true
const zeroed = Ptree.zerosLike(params); // same shapes, all zeros
// ---- 02-layers-and-models.md:364
const { leaves, rebuild } = Ptree.flatten(linearVars.params);
const lossOf = (...ls: nx.Tensor[]) => nx.mean(nx.square(linear.apply({ ...linearVars, params: rebuild(ls) }, x).y));
const { grads } = nx.valueAndGrad(lossOf)(...leaves);
const gradTree = rebuild(grads); // { weight: [3, 4], bias: [3] }
console.log(Ptree.paths(gradTree)); // ['weight', 'bias']
// ---- 02-layers-and-models.md:375
const rebuilt = Ptree.fromPaths([['encoder.0.weight', nx.ones([2, 2])], ['encoder.1.weight', nx.ones([2])], ['head.bias', nx.zeros([1])]]);
console.log(Array.isArray((rebuilt as { encoder: unknown }).encoder)); // true
Ptree.dispose([rebuilt, halved, diff, zeroed, gradTree]);
// ---- 02-layers-and-models.md:392
const w = Init.heNormal(nx.random.key(5), [256, 512]); // std sqrt(2 / 512) = 0.0625
console.log(Number(nx.item(nx.std(w))).toFixed(3));     // about 0.062
console.log(Init.computeFans([16, 3, 5, 5]));          // { fanIn: 75, fanOut: 400 }
// ---- 02-layers-and-models.md:400
const bertLike = Layer.linear({
  inFeatures: 32,
  outFeatures: 32,
  weightInit: Init.normal({ std: 0.02 }), // BERT's initializer range
  biasInit: Init.zeros,
});
const blVars = bertLike.init({ key });
console.log(Number(nx.item(nx.std(Ptree.get(blVars.params, 'weight') as nx.Tensor))).toFixed(2)); // about 0.02
// ---- 02-layers-and-models.md:413
const keys = nx.random.split(nx.random.key(6), Ptree.paths(cnnVars.params).length);
let i = 0;
const reinit = Ptree.mapWithPath(cnnVars.params, (path, t) => {
  const k = keys[i++]!;
  return path.endsWith('bias') ? Init.zeros(k, t.shape) : Init.glorotUniform(k, t.shape);
});
console.log(nx.toArray(nx.sum(nx.abs(Ptree.get(reinit, '0.bias') as nx.Tensor)))); // 0
