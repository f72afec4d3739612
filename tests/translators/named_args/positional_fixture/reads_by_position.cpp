// Fixture of check_named_args.py (not compiled): a translator that reads its
// arguments by position, which the check must refuse. One of each form.
void translate_by_position(TranslateContext& ctx) {
  const double eps = float_arg(ctx, 4, "eps", 1e-5);
  const int64_t rank = rank_of(ctx, 0);
  std::string x = input_as(ctx, 1, DType::Float32);
  if (ctx.has_input(2)) x = ctx.op("Add", {x, ctx.input(2)});
  const DType d = result_type(ctx, {0, 1});
}

// Reads by name: none of these may be counted.
void translate_by_name(TranslateContext& ctx) {
  const NodeArgs a(ctx);
  const double eps = a.f64("eps");
  const int64_t rank = rank_of(ctx, a, "input");
  std::string x = input_as(ctx, a, "weight", DType::Float32);
  const DType d = result_type(ctx, a, {"self", "other"});
  std::string y = input_as(ctx, NodeArgs(ctx), "self", d);  // int_arg(ctx, 3, "in a comment") is not code
}
