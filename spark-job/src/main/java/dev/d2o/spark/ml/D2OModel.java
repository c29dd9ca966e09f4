package dev.d2o.spark.ml;

import dev.d2o.chat.PromptRenderer;
import dev.d2o.infer.GenerationRequest;
import dev.d2o.infer.GenerationResult;
import dev.d2o.infer.Generator;
import dev.d2o.infer.SamplingConfig;
import dev.d2o.model.Pretrained;
import dev.d2o.spark.ModelCache;
import dev.d2o.spark.PromptFormats;
import dev.d2o.spark.io.HadoopFiles;
import dev.d2o.spark.io.SerializableConf;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import org.apache.hadoop.fs.FileUtil;
import org.apache.hadoop.fs.Path;
import org.apache.spark.ml.Model;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsReader$;
import org.apache.spark.ml.util.DefaultParamsWriter$;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import scala.Option;

/**
 * The trained policy as a Spark ML Transformer: appends a generated response to each prompt.
 * Prompts are rendered as training rendered them ({@code promptFormat}, {@code chatTemplate}: the
 * model's chat template when it has one) and a response stops at EOS or at the template's end of
 * turn. Saved with MLlib's writer as its Params plus the model in the Hugging Face layout under
 * {@code <path>/model}.
 */
public final class D2OModel extends Model<D2OModel> implements MLWritable {
  private static final long serialVersionUID = 1L;
  private final String uid;
  private final String modelDir;

  private final Param<String> promptCol;
  private final Param<String> outputCol;
  private final IntParam maxNewTokens;
  private final DoubleParam temperature;
  private final IntParam seed;
  private final Param<String> promptFormat;
  private final Param<String> chatTemplate;

  public D2OModel(String uid, String modelDir) {
    this.uid = uid;
    this.modelDir = modelDir;
    // Params name their parent by uid, so they are built once the uid is set
    promptCol = new Param<>(this, "promptCol", "input column of prompts");
    outputCol = new Param<>(this, "outputCol", "output column of generated responses");
    maxNewTokens =
        new IntParam(
            this, "maxNewTokens", "longest response in tokens (≥ 1)", ParamValidators.gtEq(1));
    temperature =
        new DoubleParam(
            this, "temperature", "sampling temperature (0 = greedy)", ParamValidators.gtEq(0));
    seed = new IntParam(this, "seed", "sampling seed (≥ 0)", ParamValidators.gtEq(0));
    promptFormat =
        new Param<>(
            this,
            "promptFormat",
            "how prompts become model input: auto (the chat template when the model has one), chat"
                + " or raw (data.promptFormat)",
            ParamValidators.inArray(new String[] {"auto", "chat", "raw"}));
    chatTemplate =
        new Param<>(
            this,
            "chatTemplate",
            "chat template file used instead of the model's own; empty = the model's"
                + " (model.chatTemplate)");
    setDefault(promptCol, "prompt");
    setDefault(outputCol, "response");
    setDefault(maxNewTokens, 32);
    setDefault(temperature, 0.0);
    setDefault(seed, 0);
    setDefault(promptFormat, "auto");
    setDefault(chatTemplate, "");
  }

  /** The promptCol Param (MLlib finds Params through public no-argument methods). */
  public Param<String> promptCol() {
    return promptCol;
  }

  /** The outputCol Param (MLlib finds Params through public no-argument methods). */
  public Param<String> outputCol() {
    return outputCol;
  }

  /** The maxNewTokens Param (MLlib finds Params through public no-argument methods). */
  public IntParam maxNewTokens() {
    return maxNewTokens;
  }

  /** The temperature Param (MLlib finds Params through public no-argument methods). */
  public DoubleParam temperature() {
    return temperature;
  }

  /** The promptFormat Param (MLlib finds Params through public no-argument methods). */
  public Param<String> promptFormat() {
    return promptFormat;
  }

  /** The chatTemplate Param (MLlib finds Params through public no-argument methods). */
  public Param<String> chatTemplate() {
    return chatTemplate;
  }

  /** The seed Param (MLlib finds Params through public no-argument methods). */
  public IntParam seed() {
    return seed;
  }

  @Override
  public String uid() {
    return uid;
  }

  /** The trained model's directory (Hugging Face layout). */
  public String modelDir() {
    return modelDir;
  }

  /** Sets the sampling seed. */
  public D2OModel setSeed(int value) {
    set(seed, value);
    return this;
  }

  @Override
  public Dataset<Row> transform(Dataset<?> dataset) {
    StructType out = transformSchema(dataset.schema());
    int promptIndex = Arrays.asList(dataset.schema().fieldNames()).indexOf(getOrDefault(promptCol));
    String dir = modelDir;
    SerializableConf conf =
        new SerializableConf(dataset.sparkSession().sparkContext().hadoopConfiguration());
    double t = (Double) getOrDefault(temperature);
    int n = (Integer) getOrDefault(maxNewTokens);
    long s = (Integer) getOrDefault(seed);
    PromptRenderer renderer = // once, on the driver
        PromptFormats.resolve(
            getOrDefault(promptFormat), dir, getOrDefault(chatTemplate), conf.get());
    var rows =
        dataset
            .toDF()
            .javaRDD()
            .mapPartitions(
                (Iterator<Row> it) -> {
                  List<Row> in = new ArrayList<>();
                  it.forEachRemaining(in::add);
                  if (in.isEmpty()) {
                    return in.iterator();
                  }
                  Pretrained p = ModelCache.get("transform", dir, conf.get());
                  List<GenerationRequest> reqs = new ArrayList<>();
                  for (Row r : in) {
                    String prompt = r.getString(promptIndex);
                    String text = renderer.renderRow("prompt '" + prompt + "'", prompt, null, "");
                    reqs.add(
                        new GenerationRequest(
                            prompt,
                            renderer.promptIds(p.tokenizer(), text))); // the prompt seeds it
                  }
                  List<GenerationResult> gen =
                      new Generator(p.model(), p.tokenizer(), 8, Generator.TOKEN_BUDGET_DEFAULT)
                          .withStopIds(renderer.stopIds(p.tokenizer()))
                          .generate(reqs, 1, new SamplingConfig(t, 1.0, 0, n, 0, 1.0, s));
                  List<Row> result = new ArrayList<>(in.size());
                  for (int i = 0; i < in.size(); i++) {
                    Object[] values = new Object[in.get(i).size() + 1];
                    for (int c = 0; c < in.get(i).size(); c++) {
                      values[c] = in.get(i).get(c);
                    }
                    values[values.length - 1] = gen.get(i).samples().get(0).text();
                    result.add(RowFactory.create(values));
                  }
                  return result.iterator();
                });
    return dataset.sparkSession().createDataFrame(rows, out);
  }

  @Override
  public StructType transformSchema(StructType schema) {
    String p = getOrDefault(promptCol);
    if (!Arrays.asList(schema.fieldNames()).contains(p)) {
      throw new IllegalArgumentException(
          "D2OModel.transform needs the prompt column '" + p + "'; found " + schema.simpleString());
    }
    return schema.add((String) getOrDefault(outputCol), DataTypes.StringType, true);
  }

  @Override
  public D2OModel copy(ParamMap extra) {
    return copyValues(new D2OModel(uid, modelDir), extra).setParent(parent());
  }

  @Override
  public MLWriter write() {
    return new Writer(this);
  }

  /** Reads a model saved with {@code write().save(path)}. */
  public static MLReader<D2OModel> read() {
    return new Reader();
  }

  /** Loads a model saved with {@code write().save(path)}. */
  public static D2OModel load(String path) {
    return read().load(path);
  }

  /** Params as MLlib's metadata, the model files under {@code model/}. */
  private static final class Writer extends MLWriter {
    private final D2OModel instance;

    Writer(D2OModel instance) {
      this.instance = instance;
    }

    @Override
    public void saveImpl(String path) {
      DefaultParamsWriter$.MODULE$.saveMetadata(
          instance, path, sc(), Option.empty(), Option.empty());
      Path src = HadoopFiles.qualify(instance.modelDir);
      Path dst = new Path(path, "model");
      try {
        var conf = sc().hadoopConfiguration();
        FileUtil.copy(HadoopFiles.fs(src, conf), src, HadoopFiles.fs(dst, conf), dst, false, conf);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot copy the model from " + src + " to " + dst, e);
      }
    }
  }

  private static final class Reader extends MLReader<D2OModel> {
    @Override
    public D2OModel load(String path) {
      DefaultParamsReader.Metadata meta =
          DefaultParamsReader$.MODULE$.loadMetadata(path, sc(), D2OModel.class.getName());
      D2OModel model = new D2OModel(meta.uid(), new Path(path, "model").toString());
      meta.getAndSetParams(model, Option.empty());
      return model;
    }
  }
}
