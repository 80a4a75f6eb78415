/** Which files each backend reads, kept free of heavy imports so listing models stays fast. */
export type Dtype = 'fp32' | 'fp16' | 'q8';

export const STATIC_FILES = ['model.safetensors', 'tokenizer.json', 'config.json'] as const;

/** The ONNX file transformers.js reads for each dtype. */
export const ONNX_FILE: Record<Dtype, string> = {
  fp32: 'onnx/model.onnx',
  fp16: 'onnx/model_fp16.onnx',
  q8: 'onnx/model_quantized.onnx',
};

export function transformersFiles(dtype: Dtype): string[] {
  return ['config.json', 'tokenizer.json', 'tokenizer_config.json', ONNX_FILE[dtype]];
}
