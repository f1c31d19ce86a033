import type { Options } from 'tsup';
export declare function packageConfig(
  overrides?: Options,
): Options | Options[] | ((overrideOptions: Options) => Options | Options[] | Promise<Options | Options[]>);
